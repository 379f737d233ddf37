import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/wings/backoff.ts';
import { WingsError } from '../src/wings/errors.ts';
import { OutboundQueue, TokenBucket } from '../src/wings/outbound-queue.ts';
import { refreshAtMs, SlidingWindowLimiter } from '../src/wings/token-limit.ts';
import { TokenRefresher } from '../src/wings/token-refresh.ts';
import { ManualClock } from './wings-support.ts';

function events(frames: string[]): string[] {
  return frames.map((f) => (JSON.parse(f) as { event: string }).event);
}

describe('TokenBucket', () => {
  it('allows the burst, then one per refill interval', () => {
    const bucket = new TokenBucket(2, 1000, 0);
    expect(bucket.waitMs(0)).toBe(0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.waitMs(0)).toBe(1000);
    expect(bucket.waitMs(400)).toBe(600);
    expect(bucket.waitMs(1000)).toBe(0);
  });
});

describe('OutboundQueue', () => {
  it('sends nothing while closed, only auth while auth-only, everything in order once open', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const queue = new OutboundQueue(clock, (f) => sent.push(f));
    const stats = queue.enqueue('send stats', []);
    expect(sent).toEqual([]);
    void queue.enqueue('auth', ['t'], true);
    queue.setMode('auth-only');
    expect(events(sent)).toEqual(['auth']);
    queue.setMode('open');
    await stats;
    expect(events(sent)).toEqual(['auth', 'send stats']);
  });

  it('spreads a burst of 30 commands over Wings’ buckets (scaled) without reordering', () => {
    const clock = new ManualClock();
    const sent: Array<{ at: number; frame: string }> = [];
    const start = clock.now();
    const queue = new OutboundQueue(clock, (f) => sent.push({ at: clock.now() - start, frame: f }), {
      scale: 0.01,
      safety: 1,
      reserve: 0,
    });
    queue.setMode('open');
    for (let i = 0; i < 30; i++) void queue.enqueue('send command', [`say ${i}`]);
    // Burst of 10 goes at once; the rest one per 10 ms (1 s × 0.01).
    expect(sent).toHaveLength(10);
    clock.advance(10 * 25);
    expect(sent.map((s) => JSON.parse(s.frame).args[0])).toEqual(Array.from({ length: 30 }, (_, i) => `say ${i}`));
    // Replayed through Wings' own buckets (same scale), no send would have been dropped.
    const wingsCommand = new TokenBucket(10, 10, 0);
    const wingsGlobal = new TokenBucket(10, 2, 0);
    for (const { at } of sent) {
      expect(Math.max(wingsCommand.waitMs(at), wingsGlobal.waitMs(at))).toBe(0);
      wingsCommand.take(at);
      wingsGlobal.take(at);
    }
  });

  it('lets auth jump ahead of waiting sends but respects the auth bucket', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const queue = new OutboundQueue(clock, (f) => sent.push(f), { safety: 1, reserve: 0 });
    queue.setMode('open');
    for (let i = 0; i < 6; i++) void queue.enqueue('set state', ['start']);
    expect(sent).toHaveLength(4);
    void queue.enqueue('auth', ['a'], true);
    expect(events(sent).at(-1)).toBe('auth');
    void queue.enqueue('auth', ['b'], true);
    void queue.enqueue('auth', ['c'], true);
    expect(events(sent).filter((e) => e === 'auth')).toHaveLength(2);
    clock.advance(1000);
    // The third auth waits for its bucket (5 s) and holds the line behind it.
    expect(events(sent).filter((e) => e === 'auth')).toHaveLength(2);
    clock.advance(4000);
    expect(events(sent)).toEqual([
      'set state',
      'set state',
      'set state',
      'set state',
      'auth',
      'auth',
      'auth',
      'set state',
      'set state',
    ]);
  });

  it('leaves one token of each burst unused by default, so Wings keeps slack', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const queue = new OutboundQueue(clock, (f) => sent.push(f));
    queue.setMode('open');
    for (let i = 0; i < 12; i++) void queue.enqueue('send command', ['x']);
    expect(sent).toHaveLength(9);
    clock.advance(60_000);
    expect(sent).toHaveLength(12);
    void queue.enqueue('auth', ['a'], true);
    void queue.enqueue('auth', ['b'], true);
    // Only one of Wings' two auth tokens is used; the second waits a full (slackened) refill.
    expect(events(sent).filter((e) => e === 'auth')).toHaveLength(1);
    clock.advance(5749);
    expect(events(sent).filter((e) => e === 'auth')).toHaveLength(1);
    clock.advance(1);
    expect(events(sent).filter((e) => e === 'auth')).toHaveLength(2);
  });

  it('sends immediately with limits disabled', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const queue = new OutboundQueue(clock, (f) => sent.push(f), { enabled: false });
    queue.setMode('open');
    for (let i = 0; i < 50; i++) void queue.enqueue('send stats', []);
    expect(sent).toHaveLength(50);
  });

  it('rejects waiting sends on clear and refuses more than maxQueued', async () => {
    const clock = new ManualClock();
    const queue = new OutboundQueue(clock, () => undefined, { maxQueued: 2 });
    const a = queue.enqueue('send command', ['a']);
    const b = queue.enqueue('send command', ['b']);
    await expect(queue.enqueue('send command', ['c'])).rejects.toMatchObject({ code: 'busy' });
    queue.clear(new WingsError('not_ready', 'gone'));
    await expect(a).rejects.toMatchObject({ code: 'not_ready' });
    await expect(b).rejects.toMatchObject({ code: 'not_ready' });
    expect(queue.length).toBe(0);
  });
});

describe('SlidingWindowLimiter', () => {
  it('allows count requests per window and honours a Retry-After block', () => {
    const clock = new ManualClock();
    const limiter = new SlidingWindowLimiter({ count: 2, perMs: 60_000 }, clock);
    limiter.take();
    clock.advance(10_000);
    limiter.take();
    expect(limiter.waitMs()).toBe(50_000);
    clock.advance(50_000);
    expect(limiter.waitMs()).toBe(0);
    limiter.blockFor(7000);
    expect(limiter.waitMs()).toBe(7000);
  });
});

describe('refreshAtMs', () => {
  it('refreshes a 10-minute token 60 s early and a 3-second token half-way', () => {
    expect(refreshAtMs(1600, 1000, 0, 60_000)).toBe(1_540_000);
    expect(refreshAtMs(1003, 1000, 0, 60_000)).toBe(1_001_500);
    // Without iat, the lifetime counts from when we got the token.
    expect(refreshAtMs(1010, undefined, 1_000_000, 60_000)).toBe(1_005_000);
  });
});

function jwt(iat: number, exp: number): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ iat, exp })}.sig`;
}

describe('TokenRefresher', () => {
  function setup(fetchToken: () => Promise<string>) {
    const clock = new ManualClock(1_000_000_000);
    const sentAuth: string[] = [];
    const fatal: string[] = [];
    const refresher = new TokenRefresher({
      clock,
      limiter: new SlidingWindowLimiter({ count: 100, perMs: 60_000 }, clock),
      backoff: new Backoff({ initialMs: 1000, maxMs: 30_000 }, () => 1),
      leadMs: 60_000,
      staleGraceMs: 1000,
      fetchToken,
      sendAuth: (t) => sentAuth.push(t),
      onFatal: (code) => fatal.push(code),
      onEvent: () => undefined,
    });
    return { clock, refresher, sentAuth, fatal };
  }
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('refreshes proactively from exp, one at a time, and counts acknowledged refreshes', async () => {
    let n = 0;
    const { clock, refresher, sentAuth } = setup(async () => {
      const now = Math.floor(clock.now() / 1000);
      n += 1;
      return jwt(now, now + 600);
    });
    const start = Math.floor(clock.now() / 1000);
    refresher.begin(jwt(start, start + 600));
    refresher.onAuthSuccess();
    expect(refresher.phase).toBe('scheduled');
    clock.advance(539_000);
    expect(n).toBe(0);
    clock.advance(1000);
    expect(refresher.phase).toBe('fetching');
    expect(refresher.trigger('token expiring')).toBe(false);
    await flush();
    expect(sentAuth).toHaveLength(1);
    expect(refresher.phase).toBe('awaiting-ack');
    refresher.onAuthSuccess();
    expect(refresher.refreshes).toBe(1);
    expect(n).toBe(1);
  });

  it('ignores an expiry complaint right after a refresh and a notice for a fresh token', async () => {
    const { clock, refresher } = setup(async () => {
      const now = Math.floor(clock.now() / 1000);
      return jwt(now, now + 600);
    });
    const now = Math.floor(clock.now() / 1000);
    refresher.begin(jwt(now, now + 600));
    refresher.onAuthSuccess();
    // Right after the socket's first auth there is no older token a complaint could be about.
    expect(refresher.trigger('denylist')).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    refresher.onAuthSuccess();
    expect(refresher.trigger('exp claim invalid')).toBe(false);
    expect(refresher.trigger('denylist')).toBe(false);
    expect(refresher.trigger('token expiring')).toBe(false);
    clock.advance(2000);
    expect(refresher.trigger('token expired')).toBe(true);
  });

  it('backs off on a transient failure and gives up on a fatal one', async () => {
    let calls = 0;
    const failures: unknown[] = [{ kind: 'panel_unreachable' }, { kind: 'invalid_key', status: 401 }];
    const { clock, refresher, fatal } = setup(async () => {
      calls += 1;
      throw failures.shift();
    });
    refresher.begin(jwt(0, 1));
    refresher.trigger('token expired');
    await flush();
    expect(refresher.phase).toBe('backing-off');
    expect(refresher.trigger('token expired')).toBe(false);
    clock.advance(999);
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    expect(fatal).toEqual(['invalid_key']);
  });
});
