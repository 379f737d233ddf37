/**
 * One binding's console feed brought to life: console lines and state changes from the shared Wings socket go into the
 * pure FeedPlanner, and the planner's actions go out through the channel's sender. Nothing here waits on Discord while
 * reading the socket: lines are queued synchronously and the sender is driven separately.
 */
import type { ChannelBudgets, ChannelSender, SendOutcome } from '../discord/channel-sender.ts';
import { inert } from '../discord/format.ts';
import { isDaemonLine } from '../feed/escape.ts';
import { matchReplay, RecentLines } from '../feed/overlap.ts';
import { type FeedAction, type FeedOptions, FeedPlanner, type RequestAction } from '../feed/planner.ts';
import type { Logger } from '../log.ts';
import { compileRedaction, redactLine } from '../policy/redaction.ts';
import type { ServerState } from '../wings/protocol.ts';
import type { ActionRecord, LiveBinding } from './bridge.ts';

/** What the feed needs of a channel's sender and of the shared budgets (component tests pass fakes). */
export type FeedSender = Pick<ChannelSender, 'channelId' | 'create' | 'edit'>;
export type FeedBudgets = Pick<ChannelBudgets, 'waitMs'>;

export interface ConsoleFeedOptions {
  live: LiveBinding;
  sender: FeedSender;
  budgets: FeedBudgets;
  ansi: boolean;
  /** Planner limits other than rendering (tests lower maxPendingBytes to reach the memory cap). */
  planner?: Omit<FeedOptions, 'ansi'>;
  logger: Logger;
  /** How long a refused channel (403/404) rests before one probe. Default 5 min. */
  pausedRetryMs?: number;
  /** `send logs` replay: wait this long for the first line, then until this much quiet. */
  replayFirstLineMs?: number;
  replayQuietMs?: number;
  now?: () => number;
}

/** A state change the bot caused is attributed to the member who asked, if it follows within this window. */
const ATTRIBUTION_MS = 60_000;
/** The states each power action passes through, in order: only these are attributed to the member who asked. */
const ACTION_PATH: Record<string, readonly ServerState[]> = {
  start: ['starting', 'running'],
  stop: ['stopping', 'offline'],
  restart: ['stopping', 'offline', 'starting', 'running'],
  kill: ['stopping', 'offline'],
};
/** How long a suspected crash waits for Wings' crash lines (they follow the offline status within milliseconds). */
const CRASH_CONFIRM_MS = 3_000;
/** Bounds of one `send logs` collection beyond its quiet rule (Wings replays 150 lines by default). */
const REPLAY_EXTRA_MS = 1_000;
const MAX_REPLAY_LINES = 1_000;
const MAX_FAILURE_BACKOFF_MS = 30_000;

export class ConsoleFeed {
  readonly planner: FeedPlanner;
  private readonly recent = new RecentLines(200);
  private readonly now: () => number;
  private inFlight = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private failures = 0;
  private pausedReason: string | undefined;
  /** While paused: the rest is over and the next request is the probe (the reason stays until a request lands). */
  private probeDue = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private replay: { lines: string[]; done: Promise<string[]>; lastLineAt: number } | undefined;
  private replayAgain = false;
  private lastState: ServerState | undefined;
  private sawStopping = false;
  private everReady = false;
  /** After a reconnect the first state seen is a re-sync, not a transition (the crash rule must not apply to it). */
  private resyncing = false;
  /** running/starting → offline without `stopping`: a crash only once Wings' own crash lines confirm it. */
  private suspectedCrash: { previous: ServerState; timer: NodeJS.Timeout } | undefined;
  private crashLineAt = Number.NEGATIVE_INFINITY;
  /** The power action whose state changes are still expected, and how far along its path the server is. */
  private pendingAction: { name: string; at: number; path: readonly ServerState[]; step: number } | undefined;
  private readonly idleWaiters = new Set<() => void>();
  private readonly detachers: Array<() => void> = [];

  constructor(private readonly o: ConsoleFeedOptions) {
    this.planner = new FeedPlanner({ ...o.planner, ansi: o.ansi });
    this.now = o.now ?? Date.now;
    this.lastState = o.live.connection.serverState;
    const connection = o.live.connection;
    const on = <E extends 'console' | 'status' | 'ready' | 'gap'>(event: E, fn: (...args: never[]) => void) => {
      connection.on(event, fn as never);
      this.detachers.push(() => connection.off(event, fn as never));
    };
    on('console', (line: string) => this.onConsole(line));
    on('status', (state: ServerState) => this.onStatus(state));
    on('ready', () => this.onReady());
    // The token went invalid on the open socket and Wings swapped output for jwt errors until the refresh: refill.
    on('gap', () => {
      this.planner.pushStatus(
        'console output was interrupted while the Wings token was renewed; refilled from its log',
      );
      this.requestReplay();
    });
    if (connection.connectionState.kind === 'ready') this.everReady = true;
  }

  get binding() {
    return this.o.live.binding;
  }

  get paused(): string | undefined {
    return this.pausedReason;
  }

  /** One line for `/server list`. */
  describe(): string {
    const c = this.planner.counters;
    const parts = [
      `Feed: ${c.received.toLocaleString('en-US')} lines received`,
      `${c.postedInline.toLocaleString('en-US')} inline`,
      `${c.postedAttached.toLocaleString('en-US')} attached`,
      `${c.dropped.toLocaleString('en-US')} dropped`,
      `${c.throttleNotices.toLocaleString('en-US')} Wings throttle notices`,
    ];
    const pending = this.planner.pendingLines;
    if (pending > 0) parts.push(`${pending.toLocaleString('en-US')} pending`);
    const text = parts.join(' · ');
    return this.pausedReason ? `${text}\nFeed paused: ${this.pausedReason}` : text;
  }

  /**
   * Records who asked for an action: an audit line naming the member as a mention (rendered, never notifying), posted
   * as its own message so the mention renders outside the console's code block; the console continues below it.
   */
  audit(record: ActionRecord, actorName: string): void {
    const path = ACTION_PATH[record.action];
    if (path) this.pendingAction = { name: actorName, at: this.now(), path, step: 0 };
    const what =
      record.action === 'command'
        ? `ran \`/cmd ${sanitiseInline(redactLine(record.command ?? '', compileRedaction(this.binding.redaction)))}\``
        : record.source === 'button'
          ? `pressed **${record.action}** on the panel`
          : `used **/${record.action}**`;
    void this.announce(`-# 🛠️ <@${record.actorId}> ${what} · ${inert(this.binding.name, 100)}`, []);
  }

  /**
   * Asks Wings for its recent log (`send logs`) and returns those lines. While the replay arrives, live posting holds
   * back, and afterwards only the replayed lines the channel has not seen yet are posted (the replay has no ids: the
   * overlap is matched against the tail of what was posted).
   */
  captureReplay(): Promise<string[]> {
    if (this.replay) return this.replay.done;
    const firstLineMs = this.o.replayFirstLineMs ?? 2_000;
    const quietMs = this.o.replayQuietMs ?? 300;
    const state = { lines: [] as string[], lastLineAt: 0, done: Promise.resolve([] as string[]) };
    state.done = (async () => {
      try {
        await this.o.live.connection.requestLogs();
        const started = this.now();
        await new Promise<void>((resolve) => {
          // Wings sends the whole replay at once; on a busy server live lines never leave a quiet gap, so the
          // collection also ends at a hard deadline and a line cap, and later lines take the normal path.
          const deadline = started + firstLineMs + quietMs + REPLAY_EXTRA_MS;
          const check = () => {
            const now = this.now();
            const quietFor = state.lastLineAt ? now - state.lastLineAt : now - started;
            const limit = state.lastLineAt ? quietMs : firstLineMs;
            if (quietFor >= limit || now >= deadline || state.lines.length >= MAX_REPLAY_LINES || this.closed)
              resolve();
            else setTimeout(check, Math.max(5, Math.min(limit - quietFor, deadline - now))).unref();
          };
          check();
        });
      } catch (error) {
        this.o.logger.warn({ err: error, binding: this.binding.id }, 'console replay request failed');
      } finally {
        this.replay = undefined;
      }
      const { fresh } = matchReplay(this.recent.lines(), state.lines);
      for (const line of fresh) this.accept(line);
      this.drive();
      if (this.replayAgain && !this.closed) {
        // The socket came back (or the token was renewed) while this replay was collecting: what Wings sent for the
        // earlier request may be lost with the old socket, so ask once more.
        this.replayAgain = false;
        void this.captureReplay();
      }
      return state.lines;
    })();
    this.replay = state;
    return state.done;
  }

  /**
   * Lets what Wings already sent arrive (shutdown): asks for a stats frame and waits for it, since Wings answers on the
   * same socket after the console lines it wrote before. Resolves at the latest after `timeoutMs`.
   */
  async catchUp(timeoutMs: number): Promise<void> {
    const connection = this.o.live.connection;
    if (connection.connectionState.kind !== 'ready') return;
    let done: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      done = resolve;
    });
    const timer = setTimeout(done, timeoutMs);
    connection.once('stats', done);
    try {
      await connection.requestStats();
      await answered;
    } catch (error) {
      this.o.logger.debug({ err: error, binding: this.binding.id }, 'no stats barrier before the shutdown flush');
    } finally {
      clearTimeout(timer);
      connection.off('stats', done);
    }
  }

  /** Sends what is pending (shutdown). Resolves when the queue is empty, the channel refuses, or the time is up. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs;
    while (this.planner.pendingLines > 0 || this.inFlight) {
      if (this.pausedReason || this.now() >= deadline) return;
      this.drive();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, Math.min(250, deadline - this.now())));
        this.idleWaiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.closed = true;
    if (this.suspectedCrash) clearTimeout(this.suspectedCrash.timer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const detach of this.detachers.splice(0)) detach();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Sends a message outside the planner (a crash ping) and makes the feed continue in a fresh message below it. */
  async announce(content: string, pingRoles: string[]): Promise<void> {
    if (this.pausedReason) {
      // The channel refuses us: another refused request only counts against the invalid-request limit. Audit entries
      // are in the store regardless.
      this.o.logger.info(
        { binding: this.binding.id, reason: this.pausedReason },
        'feed announcement skipped: feed paused',
      );
      return;
    }
    const outcome = await this.o.sender.create(content, { pingRoles });
    this.planner.breakMessage();
    if (outcome.ok) return;
    this.o.logger.warn({ binding: this.binding.id, outcome }, 'feed announcement failed');
    if (outcome.kind === 'channel_refused' && !this.pausedReason) this.pause(outcome.reason);
  }

  private onConsole(raw: string): void {
    // Redacted before anything else sees it: the planner, the replay de-dup tail and /logs all hold redacted lines, so
    // live and replayed copies of a line compare equal.
    const line = redactLine(raw, compileRedaction(this.binding.redaction));
    if (isCrashVerdict(raw)) {
      this.crashLineAt = this.now();
      if (this.suspectedCrash) this.confirmCrash(this.suspectedCrash.previous);
    }
    if (this.replay) {
      this.replay.lines.push(line);
      this.replay.lastLineAt = this.now();
      return;
    }
    this.accept(line);
    this.drive();
  }

  private accept(line: string): void {
    this.recent.push(line);
    this.planner.push(line);
  }

  private onReady(): void {
    if (!this.everReady) {
      this.everReady = true;
      return;
    }
    // A reconnect: Wings does not resend what was printed meanwhile; fetch the recent log and post only the gap.
    this.planner.pushStatus(`reconnected to ${this.binding.name}`);
    this.resyncing = true;
    this.sawStopping = false;
    this.requestReplay();
  }

  /** A replay for a new socket or a renewed token; if one is collecting already, another follows it. */
  private requestReplay(): void {
    if (this.replay) this.replayAgain = true;
    else void this.captureReplay();
  }

  private onStatus(state: ServerState): void {
    const previous = this.lastState;
    this.lastState = state;
    const resync = this.resyncing;
    this.resyncing = false;
    if (previous === state) return;
    if (state === 'stopping') this.sawStopping = true;
    const name = this.binding.name;
    if (previous === undefined) return; // the first status after connecting is the current state, not a change
    if (resync) {
      // Whatever happened while the socket was down is not known step by step: say where it is now, no crash verdict.
      this.planner.pushStatus(`● ${name} is ${state} (changed while the bot was reconnecting)`);
      this.drive();
      return;
    }
    const suspicious = state === 'offline' && (previous === 'running' || previous === 'starting') && !this.sawStopping;
    if (state === 'offline' || state === 'starting') this.sawStopping = false;
    if (suspicious) {
      this.pendingAction = undefined;
      this.suspectCrash(previous);
      return;
    }
    this.planner.pushStatus(`● ${name} is ${state}${this.attribution(state)}`);
    this.drive();
  }

  /**
   * A process that ends without passing through `stopping` is a crash for Wings, which then prints its crash lines; a
   * `stopping` event lost under load (wings.md §8.3) looks the same from here but brings no such line. So the alert
   * waits (briefly) for Wings' own verdict.
   */
  private suspectCrash(previous: ServerState): void {
    if (this.now() - this.crashLineAt < CRASH_CONFIRM_MS) {
      this.confirmCrash(previous);
      return;
    }
    if (this.suspectedCrash) clearTimeout(this.suspectedCrash.timer);
    const timer = setTimeout(() => {
      this.suspectedCrash = undefined;
      this.planner.pushStatus(
        `● ${this.binding.name} is offline (stopped without a stop request; Wings reported no crash)`,
      );
      this.drive();
    }, CRASH_CONFIRM_MS);
    timer.unref();
    this.suspectedCrash = { previous, timer };
  }

  private confirmCrash(previous: ServerState): void {
    if (this.suspectedCrash) clearTimeout(this.suspectedCrash.timer);
    this.suspectedCrash = undefined;
    this.crashLineAt = Number.NEGATIVE_INFINITY;
    const name = this.binding.name;
    this.planner.pushStatus(`✖ ${name} crashed: it went ${previous} → offline without being stopped`);
    this.drive();
    const role = this.binding.alertRoleId;
    if (role) {
      void this.flush(5_000).then(() =>
        this.announce(`<@&${role}> **${inert(name, 100)}** crashed (it went offline without being stopped).`, [role]),
      );
    }
  }

  /**
   * " (asked by …)" when this change is the next step of the power action a member asked for; anything off that path
   * (someone used the panel, the server stopped by itself) ends the attribution.
   */
  private attribution(state: ServerState): string {
    const action = this.pendingAction;
    if (!action || this.now() - action.at >= ATTRIBUTION_MS) {
      this.pendingAction = undefined;
      return '';
    }
    const step = action.path.indexOf(state, action.step);
    if (step < 0) {
      this.pendingAction = undefined;
      return '';
    }
    action.step = step + 1;
    if (action.step >= action.path.length) this.pendingAction = undefined;
    return ` (asked by ${action.name})`;
  }

  /** Runs the planner: at most one request in flight; timers only for the planner's own deadlines. */
  private drive(): void {
    if (this.closed || this.inFlight || (this.pausedReason && !this.probeDue)) return;
    const channelId = this.o.sender.channelId;
    const now = this.now();
    const action: FeedAction = this.planner.next({
      now,
      waitMs: this.o.budgets.waitMs(channelId, 'create'),
      canEdit: this.o.budgets.waitMs(channelId, 'edit') === 0,
    });
    switch (action.kind) {
      case 'idle':
        for (const wake of this.idleWaiters) wake();
        this.idleWaiters.clear();
        return;
      case 'wait':
        this.schedule(action.untilMs - now);
        return;
      default:
        this.perform(action);
    }
  }

  private perform(action: RequestAction): void {
    this.inFlight = true;
    const sender = this.o.sender;
    const request =
      action.kind === 'send'
        ? sender.create(action.content)
        : action.kind === 'edit'
          ? sender.edit(action.messageRef, action.content)
          : sender.create(action.summary, { file: { name: action.filename, data: Buffer.from(action.body, 'utf8') } });
    void request.then((outcome) => this.settle(action, outcome));
  }

  private settle(action: RequestAction, outcome: SendOutcome): void {
    this.inFlight = false;
    if (outcome.ok) {
      this.failures = 0;
      if (this.pausedReason) {
        this.o.logger.info({ binding: this.binding.id, channel: this.o.sender.channelId }, 'console feed resumed');
        this.pausedReason = undefined;
        this.probeDue = false;
      }
      this.planner.ack(action, { ok: true, messageRef: outcome.messageId, createdAt: outcome.createdAt });
      this.drive();
      return;
    }
    if (outcome.kind === 'unknown_message') {
      this.planner.ack(action, { ok: false, reason: 'unknown_message' });
      this.drive();
      return;
    }
    if (outcome.kind === 'rejected') {
      this.failures = 0;
      this.o.logger.warn(
        { binding: this.binding.id, reason: outcome.reason },
        'Discord refused feed content; withheld',
      );
      this.planner.ack(action, { ok: false, reason: 'rejected', detail: outcome.reason });
      this.drive();
      return;
    }
    this.planner.ack(action, { ok: false, reason: 'failed' });
    if (outcome.kind === 'channel_refused') {
      this.pause(outcome.reason);
      return;
    }
    this.failures++;
    const backoff = Math.min(MAX_FAILURE_BACKOFF_MS, 500 * 2 ** Math.min(this.failures, 6));
    this.o.logger.warn(
      { binding: this.binding.id, reason: outcome.reason, retryInMs: backoff },
      'console feed request failed',
    );
    this.schedule(backoff);
  }

  /** The channel refused us (403/404): rest, then probe once, instead of burning Discord's invalid-request budget. */
  private pause(reason: string): void {
    this.pausedReason = reason;
    this.probeDue = false;
    this.o.logger.warn({ binding: this.binding.id, channel: this.o.sender.channelId, reason }, 'console feed paused');
    // Its own timer: the drive timer is re-armed by other paths and must not swallow the probe.
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(
      () => {
        this.probeTimer = undefined;
        this.probeDue = true;
        this.drive();
      },
      this.o.pausedRetryMs ?? 5 * 60_000,
    );
    this.probeTimer.unref();
    for (const wake of this.idleWaiters) wake();
    this.idleWaiters.clear();
  }

  /** Something changed on the channel (permissions, overwrites): probe now instead of waiting out the rest. */
  channelChanged(): void {
    if (!this.pausedReason || this.closed) return;
    this.probeDue = true;
    this.drive();
  }

  private schedule(delayMs: number): void {
    const at = this.now() + Math.max(0, delayMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.drive();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }
}

/** Console commands shown inside inline code: no backticks, no line breaks, bounded. */
function sanitiseInline(text: string): string {
  const clean = text.replace(/[`\r\n]/g, "'");
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

/** Wings' own crash report (a daemon console line, wings.md §8.4), with crash detection on or off. */
function isCrashVerdict(line: string): boolean {
  return (
    isDaemonLine(line) &&
    (line.includes('Detected server process in a crashed state') || line.includes('crash detection is disabled'))
  );
}
