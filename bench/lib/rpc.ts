/**
 * A child process (fork) that runs a double or a bot on its own, answering calls over IPC, so the figures of each
 * side are its own (RSS, CPU) and each side has a core of its own.
 */
import { type ChildProcess, fork } from 'node:child_process';

type Handler = (...args: never[]) => unknown;

interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}
type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface Host {
  readonly pid: number;
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  /** Ends the child (it closes what it opened first) and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts `script` (a .ts file under bench/) as a child with the tsx loader. */
export async function startHost(script: string, options: { execArgv?: string[] } = {}): Promise<Host> {
  const child: ChildProcess = fork(script, [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${script} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (raw) => {
    const message = raw as ReplyMessage;
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if (message.ok) p.resolve(message.value);
    else p.reject(new Error(message.error));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const host: Host = {
    pid: child.pid ?? 0,
    call<T>(method: string, ...args: unknown[]): Promise<T> {
      if (exited) return Promise.reject(new Error(`${script} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, method, args } satisfies CallMessage);
      });
    },
    async close() {
      if (exited) return;
      await host.call('shutdown').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
  await host.call('ping');
  return host;
}

/** Child side: answers calls with the handlers; `shutdown` runs `onShutdown` and exits. */
export function serve(handlers: Record<string, Handler>, onShutdown: () => Promise<void> = async () => {}): void {
  process.on('message', (raw) => {
    const { id, method, args } = raw as CallMessage;
    const reply = (message: ReplyMessage) => process.send?.(message);
    if (method === 'ping') {
      reply({ id, ok: true, value: 'pong' });
      return;
    }
    if (method === 'shutdown') {
      void onShutdown()
        .catch(() => undefined)
        .then(() => {
          reply({ id, ok: true, value: null });
          setImmediate(() => process.exit(0));
        });
      return;
    }
    const handler = handlers[method];
    if (!handler) {
      reply({ id, ok: false, error: `unknown method ${method}` });
      return;
    }
    Promise.resolve()
      .then(() => (handler as (...a: unknown[]) => unknown)(...args))
      .then(
        (value) => reply({ id, ok: true, value: value ?? null }),
        (error: unknown) =>
          reply({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  // The parent going away ends the child too (no orphaned doubles holding ports).
  process.on('disconnect', () => process.exit(0));
}
