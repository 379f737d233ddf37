/**
 * A power action and its outcome as a moderator sees it: "Survival: starting… running". Wings answers `set state` with
 * nothing but status changes (or a daemon error), so the outcome is read from the status events that follow.
 */
import { UserError } from '../discord/errors.ts';
import { inert } from '../discord/format.ts';
import type { WingsConnection } from '../wings/connection.ts';
import type { PowerAction, ServerState } from '../wings/protocol.ts';
import type { LiveBinding } from './bridge.ts';

export interface PowerProgress {
  /** States seen since the action was sent, in order. */
  states: ServerState[];
  done: boolean;
  /** Set when Wings refused or the server ended somewhere unexpected. */
  error?: string;
}

/** The state each action ends in; restart must pass through a stop first. */
const TARGET: Record<PowerAction, ServerState> = {
  start: 'running',
  stop: 'offline',
  restart: 'running',
  kill: 'offline',
};

/** Refuse actions that make no sense in the current state, before anything is sent (Wings would answer vaguely). */
export function checkPowerPrecondition(name: string, action: PowerAction, state: ServerState | undefined): void {
  if (state === undefined) return;
  if (action === 'start' && state !== 'offline') {
    throw new UserError(`${name} is already ${state}; nothing to start.`);
  }
  if ((action === 'stop' || action === 'kill') && state === 'offline') {
    throw new UserError(`${name} is already offline.`);
  }
  if (action === 'stop' && state === 'stopping') {
    throw new UserError(`${name} is already stopping; use /kill to end it at once.`);
  }
}

/** Reads "Error Event [uuid]: text" into the text a person needs. */
export function describeDaemonError(message: string): string {
  const text = message.replace(/^Error Event \[[^\]]*\]:\s*/, '').trim();
  if (/unexpected error was encountered/i.test(text)) {
    return 'Wings refused the request without details (it only explains to panel admins); the server may already be in that state or busy.';
  }
  return `Wings refused: ${text}`;
}

/** Renders progress as one line: "Survival: starting… running". */
export function renderPowerProgress(name: string, action: PowerAction, progress: PowerProgress): string {
  const verb = { start: 'starting', stop: 'stopping', restart: 'restarting', kill: 'killing' }[action];
  const trail = progress.states.length > 0 ? progress.states.join('… ') : verb;
  // Names and Wings' texts are shown as text: escaped, no mentions, bounded.
  const tail = progress.error ? ` — ${inert(progress.error, 400)}` : progress.done ? ' ✅' : '…';
  return `**${inert(name, 64)}**: ${trail}${tail}`;
}

/**
 * Sends the action and reports progress until the server reaches the target state, Wings refuses, or `timeoutMs`
 * passes (the moderator is then told to watch the console). `onProgress` is called on every change.
 */
export async function followPowerAction(
  live: LiveBinding,
  action: PowerAction,
  onProgress: (progress: PowerProgress) => void | Promise<void>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PowerProgress> {
  const connection = live.connection;
  checkPowerPrecondition(live.binding.name, action, connection.serverState);
  const progress: PowerProgress = { states: [], done: false };
  const target = TARGET[action];
  // A restart of a running server must pass through a stop before `running` counts; from offline Wings skips the stop
  // (its Stop() leaves an offline server's state alone) and goes straight to starting → running (§7.3, §9).
  let sawStop = action !== 'restart' || connection.serverState === 'offline';

  return await new Promise<PowerProgress>((resolve, reject) => {
    let finished = false;
    /** Every exit (outcome, refusal, timeout, shutdown, send failure) leaves no listener and no timer behind. */
    const settle = (outcome: { error: unknown } | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      connection.off('status', onStatus);
      connection.off('daemonError', onDaemonError);
      options.signal?.removeEventListener('abort', onAbort);
      if (outcome) reject(outcome.error);
      else resolve(progress);
    };
    const finish = () => settle(undefined);
    const update = () => {
      void Promise.resolve(onProgress({ ...progress, states: [...progress.states] })).catch(() => undefined);
    };
    const onStatus = (state: ServerState) => {
      if (progress.states.at(-1) !== state) progress.states.push(state);
      if (state === 'stopping' || state === 'offline') sawStop = true;
      if (state === target && sawStop) progress.done = true;
      else if (action !== 'stop' && action !== 'kill' && state === 'offline' && progress.states.includes('starting')) {
        progress.error = 'the server went offline while starting (see the console channel)';
      }
      update();
      if (progress.done || progress.error) finish();
    };
    const onDaemonError = (message: string) => {
      progress.error = describeDaemonError(message);
      update();
      finish();
    };
    const onAbort = () => {
      progress.error = 'the bot is shutting down; watch the console channel for the outcome';
      finish();
    };
    const timer = setTimeout(() => {
      progress.error = `no final state after ${Math.round(options.timeoutMs / 1000)} s; watch the console channel`;
      finish();
    }, options.timeoutMs);
    timer.unref();
    connection.on('status', onStatus);
    connection.on('daemonError', onDaemonError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    connection.setState(action).then(
      () => update(),
      (error: unknown) => settle({ error }),
    );
  });
}

/** A power action being followed on a connection. */
interface PowerClaim {
  action: PowerAction;
  guildId: string;
  actorName: string;
}

/**
 * One power action per server at a time. Wings answers a second action with a lock error on the shared socket, and
 * every flow following that socket would take it as its own; so a second action is refused before it is sent, naming
 * the one in progress. A kill is the exception: it is how a hanging stop or restart is ended (Wings lets it past its
 * lock), so it is refused only while another kill runs. Keyed by connection: bindings of one server with one key (in
 * several guilds) share a socket and Wings' lock.
 */
export class PowerClaims {
  private readonly claims = new Map<WingsConnection, PowerClaim[]>();

  /** Throws a UserError when the server is busy; otherwise returns the release (idempotent). */
  claim(live: LiveBinding, action: PowerAction, actor: { name: string }): () => void {
    const connection = live.connection;
    const running = this.claims.get(connection) ?? [];
    const blocking = running.find((r) => action !== 'kill' || r.action === 'kill');
    if (blocking) {
      const who =
        blocking.guildId === live.binding.guildId
          ? `asked by ${inert(blocking.actorName, 64)}`
          : 'asked from another Discord server';
      const hint = blocking.action === 'stop' || blocking.action === 'restart' ? ' (or /kill it)' : '';
      throw new UserError(
        `A ${blocking.action} of ${inert(live.binding.name, 64)} is already in progress (${who}); wait for it to finish${hint}.`,
      );
    }
    const mine: PowerClaim = { action, guildId: live.binding.guildId, actorName: actor.name };
    running.push(mine);
    this.claims.set(connection, running);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.claims.get(connection) ?? []).filter((r) => r !== mine);
      if (left.length > 0) this.claims.set(connection, left);
      else this.claims.delete(connection);
    };
  }
}
