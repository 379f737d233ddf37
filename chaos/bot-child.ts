/**
 * The bot under chaos, in its own process (so its memory is measured alone and a crash is a real exit). It is the
 * production composition (`createBot`, as `src/index.ts` runs it, logging JSON to stdout) plus one observer: every
 * Wings socket is created through a tap that reports, over IPC, which numbered console lines actually reached the bot's
 * socket (live or replayed) and which JWTs it authenticated with. Nothing the tap sees changes what the bot does.
 *
 * Environment: the bot's ordinary variables, plus CHAOS_CHILD_OPTIONS (JSON, ChildOptions).
 */
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { createBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { LINE_PATTERN } from './lines.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';

export interface ChildOptions {
  backoffMaxMs: number;
  wsTokenLimit: { count: number; perMs: number };
  memorySampleMs: number;
}

const options = JSON.parse(process.env.CHAOS_CHILD_OPTIONS ?? '{}') as ChildOptions;

function send(message: ChildMessage): void {
  process.send?.(message);
}

let rejections = 0;
process.on('unhandledRejection', (reason) => {
  rejections += 1;
  send({ type: 'rejection', text: reason instanceof Error ? `${reason.name}: ${reason.message}` : typeof reason });
});

/** Numbered lines seen on the wire since the last flush, per server uuid. */
const wire = new Map<string, number[]>();
function tapMessage(uuid: string, data: RawData, isBinary: boolean): void {
  if (isBinary) return;
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  if (!text.includes('console output')) return;
  let frame: { event?: unknown; args?: unknown };
  try {
    frame = JSON.parse(text) as { event?: unknown; args?: unknown };
  } catch {
    return;
  }
  if (frame.event !== 'console output' || !Array.isArray(frame.args)) return;
  let list = wire.get(uuid);
  if (!list) {
    list = [];
    wire.set(uuid, list);
  }
  for (const arg of frame.args) {
    if (typeof arg !== 'string') continue;
    for (const m of arg.matchAll(LINE_PATTERN)) list.push(Number(m[1]));
  }
}

function tappedSocket(url: string, socketOptions: ClientOptions): WebSocket {
  const uuid = /\/api\/servers\/([^/]+)\/ws/.exec(url)?.[1] ?? 'unknown';
  const ws = new WebSocket(url, socketOptions);
  ws.on('message', (data, isBinary) => tapMessage(uuid, data, isBinary));
  const originalSend = ws.send.bind(ws) as (data: unknown, cb?: (err?: Error) => void) => void;
  (ws as { send: unknown }).send = (data: unknown, cb?: (err?: Error) => void) => {
    if (typeof data === 'string' && data.startsWith('{"event":"auth"')) {
      const token = (JSON.parse(data) as { args?: string[] }).args?.[0];
      if (token) send({ type: 'jwt', token });
    }
    originalSend(data, cb);
  };
  return ws;
}

const flushTimer = setInterval(() => {
  for (const [uuid, numbers] of wire) if (numbers.length > 0) send({ type: 'wire', uuid, numbers: numbers.splice(0) });
}, 100);

const gc = (globalThis as { gc?: () => void }).gc;
function sampleMemory(): void {
  gc?.();
  const m = process.memoryUsage();
  send({ type: 'mem', at: Date.now(), rss: m.rss, heapUsed: m.heapUsed });
}
const memTimer = setInterval(sampleMemory, options.memorySampleMs ?? 2000);

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL });
const bot = await createBot({
  config,
  logger,
  connectionOptions: {
    backoff: { initialMs: 500, maxMs: options.backoffMaxMs ?? 30_000 },
    ...(options.wsTokenLimit ? { wsTokenLimit: options.wsTokenLimit } : {}),
    createSocket: tappedSocket,
  },
});

process.on('message', (raw: ParentMessage) => {
  if (raw.type === 'states') {
    send({
      type: 'states',
      states: bot.bridge.liveBindings().map((l) => ({
        serverUuid: l.binding.serverUuid,
        kind: l.connection.connectionState.kind,
      })),
    });
  } else if (raw.type === 'stop') {
    void bot.stop().then(
      () => {
        clearInterval(flushTimer);
        clearInterval(memTimer);
        for (const [uuid, numbers] of wire) if (numbers.length > 0) send({ type: 'wire', uuid, numbers });
        send({ type: 'stopped', rejections });
        process.disconnect?.();
      },
      (error: unknown) => {
        send({ type: 'rejection', text: `stop failed: ${String(error)}` });
        process.exit(1);
      },
    );
  }
});

await bot.start();
sampleMemory();
send({ type: 'ready' });
