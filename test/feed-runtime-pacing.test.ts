/**
 * ConsoleFeed (the runtime around the planner) against a fake channel on a fake clock: latency after a quiet spell,
 * message fullness under a sustained flood, and the refused-channel pause with its probe. Time is vitest's fake clock
 * (the feed takes `now`, its timers are the faked setTimeout), so nothing here depends on wall-clock speed.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveBinding } from '../src/bridge/bridge.ts';
import { ConsoleFeed, type ConsoleFeedOptions } from '../src/bridge/console-feed.ts';
import type { SendOutcome } from '../src/discord/channel-sender.ts';
import { createLogger } from '../src/log.ts';

interface Request {
  kind: 'create' | 'edit';
  /** When the feed asked, and when the channel answered (fake ms). */
  askedAt: number;
  answeredAt: number;
  content: string;
  file?: string;
  messageId: string;
}

type Limit = { limit: number; windowMs: number };

/**
 * A console channel with Discord's fixed windows per route (create and edit separately). In 'headers' mode the
 * budgets report the wait (as discord.js's response headers let ChannelBudgets do); in 'hidden' mode they always say
 * 0 and the channel simply answers late (discord.js's own queue holding the request until the window reopens).
 */
class FakeChannel {
  readonly channelId = '100';
  readonly requests: Request[] = [];
  readonly messages = new Map<string, { content: string; file?: string; createdAt: number }>();
  /** Set: every create answers channel_refused with this reason (403/404). */
  refused: string | undefined;
  private seq = 0;
  private readonly windows = { create: { start: -Infinity, used: 0 }, edit: { start: -Infinity, used: 0 } };

  constructor(
    private readonly mode: 'headers' | 'hidden',
    private readonly limit: Limit = { limit: 5, windowMs: 5000 },
    private readonly latencyMs = 40,
  ) {}

  readonly budgets = {
    waitMs: (_channelId: string, kind: 'create' | 'edit'): number => {
      if (this.mode === 'hidden') return 0;
      const w = this.windows[kind];
      const now = Date.now();
      if (now >= w.start + this.limit.windowMs || w.used < this.limit.limit) return 0;
      return w.start + this.limit.windowMs - now;
    },
  };

  create = (content: string, options: { file?: { name: string; data: Buffer } } = {}): Promise<SendOutcome> =>
    this.request('create', content, undefined, options.file?.data.toString('utf8'));

  edit = (messageId: string, content: string): Promise<SendOutcome> => this.request('edit', content, messageId);

  /** Final text of every message created, oldest first (edits applied). */
  finalMessages(): Array<{ content: string; file?: string; createdAt: number }> {
    return [...this.messages.values()];
  }

  private async request(kind: 'create' | 'edit', content: string, id?: string, file?: string): Promise<SendOutcome> {
    const askedAt = Date.now();
    // Take a slot in the route's window, waiting for the next window when it is spent.
    const w = this.windows[kind];
    let at = askedAt;
    if (at >= w.start + this.limit.windowMs) {
      w.start = at;
      w.used = 0;
    } else if (w.used >= this.limit.limit) {
      at = w.start + this.limit.windowMs;
      w.start = at;
      w.used = 0;
    }
    w.used++;
    await new Promise((resolve) => setTimeout(resolve, at - askedAt + this.latencyMs));
    if (kind === 'create' && this.refused) {
      this.requests.push({ kind, askedAt, answeredAt: Date.now(), content, messageId: '' });
      return { ok: false, kind: 'channel_refused', reason: this.refused };
    }
    const messageId = id ?? String(++this.seq);
    if (id && !this.messages.has(id)) return { ok: false, kind: 'unknown_message' };
    const createdAt = this.messages.get(messageId)?.createdAt ?? askedAt;
    this.messages.set(messageId, file === undefined ? { content, createdAt } : { content, file, createdAt });
    this.requests.push({
      kind,
      askedAt,
      answeredAt: Date.now(),
      content,
      messageId,
      ...(file === undefined ? {} : { file }),
    });
    return { ok: true, messageId, createdAt: Date.now() };
  }
}

class FakeConnection extends EventEmitter {
  serverState = 'running' as const;
  connectionState = { kind: 'ready' as const, since: 0 };
  async requestLogs(): Promise<void> {}
}

function startFeed(channel: FakeChannel, extra: Partial<ConsoleFeedOptions> = {}) {
  const connection = new FakeConnection();
  const live = {
    binding: { id: 'b1', name: 'Survival', consoleChannelId: channel.channelId },
    connection,
  } as unknown as LiveBinding;
  const feed = new ConsoleFeed({
    live,
    sender: channel,
    budgets: channel.budgets,
    ansi: true,
    logger: createLogger({ level: 'silent' }),
    now: () => Date.now(),
    ...extra,
  });
  const emit = (line: string) => connection.emit('console', line);
  return { feed, emit };
}

/** A console line of 60–140 characters, numbered so every line can be found exactly once. */
const floodLine = (n: number) =>
  `[12:00:00 INFO]: line ${String(n).padStart(6, '0')} ${'x'.repeat(40 + ((n * 37) % 80))}`;
const numbersIn = (text: string) => [...text.matchAll(/line (\d{6})/g)].map((m) => Number(m[1]));

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('latency after a quiet spell', () => {
  it.each(['headers', 'hidden'] as const)('one line goes out at once, in one request (%s budgets)', async (mode) => {
    const channel = new FakeChannel(mode);
    const { feed, emit } = startFeed(channel);
    for (const quietMs of [0, 30_000, 120_000]) {
      await vi.advanceTimersByTimeAsync(quietMs);
      const before = channel.requests.length;
      const t0 = Date.now();
      emit(`after ${quietMs} ms of quiet`);
      await vi.advanceTimersByTimeAsync(5_000);
      const sent = channel.requests.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.content).toContain(`after ${quietMs} ms of quiet`);
      // Only the planner's short linger (15 ms) may hold the first line of a burst; no fixed 1 s batching timer.
      expect(sent[0]!.askedAt - t0).toBeLessThan(100);
    }
    expect(feed.planner.counters.postedInline).toBe(3);
    feed.close();
  });
});

describe('a sustained flood', () => {
  const cases = [
    { mode: 'headers', charsPerSecond: 2_500 },
    { mode: 'headers', charsPerSecond: 40_000 },
    { mode: 'hidden', charsPerSecond: 2_500 },
    { mode: 'hidden', charsPerSecond: 40_000 },
  ] as const;

  it.each(cases)(
    'fills each inline message ($mode budgets, $charsPerSecond chars/s)',
    async ({ mode, charsPerSecond }) => {
      const channel = new FakeChannel(mode);
      const { feed, emit } = startFeed(channel);
      const start = Date.now();
      let n = 0;
      // 60 s of output in 50 ms ticks.
      for (let tick = 0; tick < 1200; tick++) {
        let chars = 0;
        while (chars < charsPerSecond / 20) {
          const line = floodLine(n++);
          chars += line.length + 1;
          emit(line);
        }
        await vi.advanceTimersByTimeAsync(50);
      }
      const produced = n;
      await vi.advanceTimersByTimeAsync(120_000);
      expect(feed.planner.pendingLines).toBe(0);

      const messages = channel.finalMessages();
      const inline = messages.filter((m) => m.file === undefined);
      // Sustained: after the first rate window (where the first lines go out at once, for latency) and before the
      // last message (the tail after the flood ended).
      const underLoad = inline.slice(0, -1).filter((m) => m.createdAt >= start + 5000);
      const average = underLoad.reduce((sum, m) => sum + m.content.length, 0) / underLoad.length;
      const ramp = inline.filter((m) => m.createdAt < start + 5000).map((m) => m.content.length);
      console.info(
        `${mode} ${charsPerSecond} chars/s: ${produced} lines, ${inline.length} inline messages, sustained average ` +
          `${Math.round(average)} chars, first window ${ramp.join('/')}, ${messages.length - inline.length} attachments, ` +
          `${channel.requests.length} requests`,
      );
      expect(underLoad.length).toBeGreaterThan(5);
      expect(average).toBeGreaterThanOrEqual(0.9 * 2000);
      for (const m of messages) expect(m.content.length).toBeLessThanOrEqual(2000);

      // Nothing lost or doubled along the way.
      const seen = messages.flatMap((m) => numbersIn(m.file ?? m.content));
      expect(seen.length).toBe(produced);
      expect(new Set(seen).size).toBe(produced);
      feed.close();
    },
  );
});

describe('a console channel that refuses the bot (403/404)', () => {
  const reason = 'the bot lacks permission to post in the console channel (Send Messages, Attach Files)';
  const pausedRetryMs = 10_000;

  /** Emits one numbered line every 100 ms for `ms`; returns the next number. */
  async function trickle(emit: (line: string) => void, from: number, ms: number): Promise<number> {
    let n = from;
    for (let t = 0; t < ms; t += 100) {
      emit(floodLine(n++));
      await vi.advanceTimersByTimeAsync(100);
    }
    return n;
  }

  it('pauses with the reason, probes once per pausedRetryMs, and delivers the queue once fixed', async () => {
    const channel = new FakeChannel('headers');
    channel.refused = reason;
    const { feed, emit } = startFeed(channel, { pausedRetryMs });
    const start = Date.now();
    let n = await trickle(emit, 0, 35_000);
    const attempts = channel.requests.filter((r) => r.kind === 'create').length;
    console.info(`refused channel: ${attempts} create requests in ${Date.now() - start} ms while ${n} lines arrived`);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(1 + Math.floor((Date.now() - start) / pausedRetryMs));
    expect(feed.paused).toBe(reason);
    expect(feed.describe()).toContain(`Feed paused: ${reason}`);
    expect(channel.messages.size).toBe(0);

    channel.refused = undefined;
    n = await trickle(emit, n, pausedRetryMs + 1_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(feed.paused).toBeUndefined();
    expect(feed.describe()).not.toContain('paused');
    const seen = channel.finalMessages().flatMap((m) => numbersIn(m.file ?? m.content));
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(feed.planner.counters.dropped).toBe(0);
    feed.close();
  });

  it('keeps showing the reason while its probe is in flight', async () => {
    const channel = new FakeChannel('headers');
    channel.refused = reason;
    const { feed, emit } = startFeed(channel, { pausedRetryMs });
    emit(floodLine(0));
    await vi.advanceTimersByTimeAsync(1_000);
    const refusedAt = channel.requests[0]!.answeredAt;
    // Just past the rest: the probe has been asked for and not answered yet (the channel takes 40 ms).
    await vi.advanceTimersByTimeAsync(refusedAt + pausedRetryMs + 5 - Date.now());
    expect(channel.requests).toHaveLength(1);
    expect(feed.paused).toBe(reason);
    expect(feed.describe()).toContain(`Feed paused: ${reason}`);
    await vi.advanceTimersByTimeAsync(100);
    expect(channel.requests).toHaveLength(2);
    expect(feed.paused).toBe(reason);
    feed.close();
  });

  it('states how many lines the memory cap dropped while paused, and loses no other line', async () => {
    const channel = new FakeChannel('headers');
    channel.refused = reason;
    const { feed, emit } = startFeed(channel, { pausedRetryMs, planner: { maxPendingBytes: 20_000 } });
    const n = await trickle(emit, 0, 30_000);
    channel.refused = undefined;
    await vi.advanceTimersByTimeAsync(pausedRetryMs + 60_000);
    const { dropped, postedInline, postedAttached, received } = feed.planner.counters;
    console.info(
      `memory cap 20,000: ${n} lines, ${dropped} dropped, ${postedInline} inline, ${postedAttached} attached`,
    );
    expect(dropped).toBeGreaterThan(0);
    expect(received).toBe(n);
    expect(postedInline + postedAttached + dropped).toBe(n);
    const messages = channel.finalMessages();
    const seen = messages.flatMap((m) => numbersIn(m.file ?? m.content));
    expect(seen.length).toBe(n - dropped);
    expect(new Set(seen).size).toBe(seen.length);
    const text = messages.map((m) => m.content).join('\n');
    expect(text).toContain(`⚠ ${dropped.toLocaleString('en-US')} console lines dropped: feed memory limit reached`);
    feed.close();
  });
});
