import { describe, expect, it } from 'vitest';
import { type FeedAction, type FeedOptions, FeedPlanner, stripAnsi } from '../src/feed/index.ts';

const E = '\x1b';
const Z = '\u200b';
const block = (...lines: string[]) => `\`\`\`ansi\n${lines.join('\n')}\n\`\`\``;

/** A channel with Discord's typical 5 requests per 5 s (fixed windows) and 40 ms per request. */
class Channel {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  readonly log: Array<Exclude<FeedAction, { kind: 'wait' } | { kind: 'idle' }>> = [];
  private readonly refs: string[] = [];
  private seq = 0;

  waitMs(now: number): number {
    if (now >= this.windowStart + 5000) return 0;
    return this.used < 5 ? 0 : this.windowStart + 5000 - now;
  }

  /** Runs the planner until idle; returns the simulated end time. */
  drain(feed: FeedPlanner, start = 0): number {
    let now = start;
    for (let steps = 0; steps < 100_000; steps++) {
      const action = feed.next({ now, waitMs: this.waitMs(now) });
      if (action.kind === 'idle') return now;
      if (action.kind === 'wait') {
        now = action.untilMs;
        continue;
      }
      if (now >= this.windowStart + 5000) {
        this.windowStart = now;
        this.used = 0;
      }
      this.used++;
      const ref = action.kind === 'edit' ? action.messageRef : `m${++this.seq}`;
      this.log.push(action);
      this.refs.push(ref);
      feed.ack(action, { ok: true, messageRef: ref, createdAt: now });
      now += 40;
    }
    throw new Error('planner did not settle');
  }

  /** What a reader sees, in order: console/status lines from messages (edits replace in place) and attachments. */
  transcript(): string[] {
    const entries: Array<{ ref: string; lines: string[] }> = [];
    this.log.forEach((a, i) => {
      const ref = this.refs[i]!;
      if (a.kind === 'attach') entries.push({ ref, lines: a.body.split('\n').slice(0, -1) });
      else if (a.kind === 'send') entries.push({ ref, lines: bodyLines(a.content) });
      else {
        // An edit replaces the message's lines (a message sent before the channel was watching is added).
        const entry = entries.find((e) => e.ref === ref);
        if (entry) entry.lines = bodyLines(a.content);
        else entries.push({ ref, lines: bodyLines(a.content) });
      }
    });
    const out: string[] = [];
    for (const e of entries) {
      const lines = [...e.lines];
      if (lines[0]?.startsWith('↪')) out[out.length - 1] += lines.shift()!.slice(1);
      out.push(...lines);
      if (out[out.length - 1]?.endsWith('↩')) out[out.length - 1] = out[out.length - 1]!.slice(0, -1);
    }
    return out;
  }
}

function bodyLines(content: string): string[] {
  return stripAnsi(content.slice(content.indexOf('\n') + 1, -4))
    .replaceAll(Z, '')
    .split('\n');
}

function planner(options: FeedOptions = {}): FeedPlanner {
  return new FeedPlanner({ lingerMs: 15, ...options });
}

function invariant(feed: FeedPlanner): void {
  const c = feed.counters;
  expect(c.postedInline + c.postedAttached + c.dropped + feed.pendingLines).toBe(c.received);
}

describe('latency: linger, send, edit-append', () => {
  it('a line after a quiet spell lingers briefly, then goes at once; the next burst is appended by edit', () => {
    const feed = planner();
    feed.push('first');
    expect(feed.next({ now: 1000 })).toEqual({ kind: 'wait', untilMs: 1015 });
    feed.push('second');
    const send = feed.next({ now: 1015 });
    expect(send).toEqual({ kind: 'send', content: block('first', 'second'), lines: 2 });
    expect(feed.next({ now: 1016 })).toEqual({ kind: 'idle' }); // one request at a time
    feed.push('during flight');
    feed.ack(send, { ok: true, messageRef: 'm1', createdAt: 1050 });
    // Lines that waited for the request in flight go without another linger.
    const edit = feed.next({ now: 1060 });
    expect(edit).toEqual({
      kind: 'edit',
      messageRef: 'm1',
      content: block('first', 'second', 'during flight'),
      lines: 1,
    });
    feed.ack(edit, { ok: true, messageRef: 'm1', createdAt: 1100 });
    expect(feed.next({ now: 1100 })).toEqual({ kind: 'idle' });
    feed.push('later');
    expect(feed.next({ now: 5000 })).toEqual({ kind: 'wait', untilMs: 5015 });
    expect(feed.next({ now: 5015 })).toMatchObject({ kind: 'edit', messageRef: 'm1' });
    expect(feed.counters).toMatchObject({ received: 4, postedInline: 3 });
  });

  it('without a linger the first line goes immediately', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push('now');
    expect(feed.next({ now: 0 })).toEqual({ kind: 'send', content: block('now'), lines: 1 });
  });

  it('a message worth of pending text skips the linger', () => {
    const feed = planner();
    for (let i = 0; i < 30; i++) feed.push('x'.repeat(99));
    expect(feed.next({ now: 0 }).kind).toBe('send');
  });

  it('without budget lines coalesce and one request carries them all', () => {
    const feed = planner();
    feed.push('a');
    expect(feed.next({ now: 0, waitMs: 800 })).toEqual({ kind: 'wait', untilMs: 800 });
    for (let i = 0; i < 10; i++) feed.push(`line ${i}`);
    const action = feed.next({ now: 800, waitMs: 0 });
    expect(action).toMatchObject({ kind: 'send', lines: 11 });
  });

  it.each([
    ['an old message (edit age limit)', { maxEditAgeMs: 60_000 }, 70_000, true, 'send'],
    ['a young message', { maxEditAgeMs: 60_000 }, 50_000, true, 'edit'],
    ['edits disabled by option', { edit: false }, 1000, true, 'send'],
    ['edits refused by the sender', {}, 1000, false, 'send'],
  ])('appending to %s → %s', (_name, options, now, canEdit, kind) => {
    const feed = planner({ lingerMs: 0, ...options });
    feed.push('a');
    const first = feed.next({ now: 0 });
    feed.ack(first, { ok: true, messageRef: 'm1', createdAt: 0 });
    feed.push('b');
    expect(feed.next({ now, canEdit }).kind).toBe(kind);
  });

  it('a new message starts when the pending lines do not fit the newest one', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push('x'.repeat(1500));
    feed.ack(feed.next({ now: 0 }), { ok: true, messageRef: 'm1', createdAt: 0 });
    feed.push('y'.repeat(600));
    expect(feed.next({ now: 10 })).toEqual({ kind: 'send', content: block('y'.repeat(600)), lines: 1 });
  });

  it('a deleted message (unknown_message) makes the same lines go as a new message', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push('a');
    feed.ack(feed.next({ now: 0 }), { ok: true, messageRef: 'm1', createdAt: 0 });
    feed.push('b');
    const edit = feed.next({ now: 10 });
    expect(edit.kind).toBe('edit');
    feed.ack(edit, { ok: false, reason: 'unknown_message' });
    expect(feed.next({ now: 20 })).toEqual({ kind: 'send', content: block('b'), lines: 1 });
  });

  it('a failed request keeps its lines queued', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push('a');
    const first = feed.next({ now: 0 });
    feed.ack(first, { ok: false, reason: 'failed' });
    expect(feed.counters.failedRequests).toBe(1);
    expect(feed.next({ now: 10 })).toEqual(first);
    invariant(feed);
  });

  it('ack of anything but the request in flight is refused', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push('a');
    const action = feed.next({ now: 0 });
    expect(() => feed.ack({ kind: 'idle' }, { ok: true, messageRef: 'x', createdAt: 0 })).toThrow(/does not match/);
    feed.ack(action, { ok: true, messageRef: 'm1', createdAt: 0 });
    expect(() => feed.ack(action, { ok: true, messageRef: 'm1', createdAt: 0 })).toThrow(/does not match/);
  });

  it('status lines are distinct (» , bold cyan) and in order; breakMessage starts a new message', () => {
    const feed = planner({ lingerMs: 0 });
    feed.push(`${E}[32mgreen`);
    feed.pushStatus('Server marked as running');
    feed.push('after');
    const send = feed.next({ now: 0 });
    expect(send).toEqual({
      kind: 'send',
      content: block(`${E}[32mgreen`, `${E}[1;36m» Server marked as running`, `${E}[0;32mafter${E}[0m`),
      lines: 2,
    });
    feed.ack(send, { ok: true, messageRef: 'm1', createdAt: 0 });
    feed.breakMessage();
    feed.pushStatus('@everyone ``` <@1>');
    expect(feed.next({ now: 10 })).toMatchObject({
      kind: 'send',
      content: block(`${E}[1;36m» @${Z}everyone \`${Z}\`${Z}\` <@${Z}1>${E}[0m`),
    });
  });

  it('counts Wings throttle notices', () => {
    const feed = planner();
    feed.push(
      `${E}[33m${E}[1m[Pterodactyl Daemon]:${E}[39m Server is outputting console data too quickly -- throttling...${E}[0m`,
    );
    feed.push('Server is outputting console data too quickly -- throttling...');
    expect(feed.counters.throttleNotices).toBe(1);
  });
});

describe('throughput: attachments under a large backlog', () => {
  const line = (i: number) =>
    `${E}[32m[12:00:00]${E}[0m [Server thread/INFO]: line ${String(i).padStart(6, '0')} ${'x'.repeat(45)}`;

  it('20,000 lines with no budget: inline + attached = received, exact summary, plain bodies', () => {
    expect(line(0).length).toBe(99);
    const feed = planner();
    for (let i = 0; i < 20_000; i++) feed.push(line(i));
    expect(feed.next({ now: 0, waitMs: 3000 })).toEqual({ kind: 'wait', untilMs: 3000 });
    const channel = new Channel();
    channel.drain(feed, 3000);
    const c = feed.counters;
    expect(c.postedInline + c.postedAttached).toBe(20_000);
    expect(c.dropped).toBe(0);
    const attachments = channel.log.filter((a) => a.kind === 'attach');
    expect(attachments).toHaveLength(1);
    const [first] = attachments;
    if (first?.kind !== 'attach') throw new Error('expected an attachment');
    // raw backlog 20,000 × 100 chars; 5 messages fit the 5 s horizon, 4 stay inline, the rest (19,921 lines) attach.
    expect(first.summary).toBe('… 19,921 lines, 1.7 MB attached');
    expect(first.lines).toBe(19_921);
    expect(first.filename).toBe('console-19700101-000003-1.log');
    expect(first.body.startsWith('[12:00:00] [Server thread/INFO]: line 000000 xxx')).toBe(true);
    expect(first.body).not.toContain(E);
    expect(Buffer.byteLength(first.body)).toBe(first.bytes);
    expect(channel.log[0]!.kind).toBe('attach');
    expect(channel.log.length).toBeLessThanOrEqual(6);
    expect(channel.transcript()).toEqual(Array.from({ length: 20_000 }, (_, i) => stripAnsi(line(i))));
    invariant(feed);
  });

  it('a backlog beyond 10 MiB is split into several attachments of at most 10 MiB', () => {
    const feed = planner({ maxPendingBytes: 64 * 1024 * 1024 });
    const long = (i: number) => `${String(i).padStart(6, '0')} ${'z'.repeat(693)}`;
    for (let i = 0; i < 20_000; i++) feed.push(long(i));
    const channel = new Channel();
    channel.drain(feed);
    const attachments = channel.log.filter((a) => a.kind === 'attach');
    expect(attachments.length).toBe(2);
    for (const a of attachments) {
      if (a.kind !== 'attach') continue;
      expect(a.bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
      expect(Buffer.byteLength(a.body)).toBe(a.bytes);
    }
    expect(feed.counters.postedInline + feed.counters.postedAttached).toBe(20_000);
    expect(channel.transcript()).toEqual(Array.from({ length: 20_000 }, (_, i) => long(i)));
  });

  it('order is kept across inline messages, attachments and status lines', () => {
    const feed = planner();
    const expected: string[] = [];
    const push = (text: string) => {
      feed.push(text);
      expected.push(text);
    };
    const status = (text: string) => {
      feed.pushStatus(text);
      expected.push(`» ${text}`);
    };
    push('boot');
    status('Server marked as starting');
    for (let i = 0; i < 3000; i++) push(`A${i} ${'a'.repeat(60)}`);
    status('Server marked as running');
    for (let i = 0; i < 3000; i++) push(`B${i} ${'b'.repeat(60)}`);
    status('Server marked as stopping');
    push('x'.repeat(5000));
    for (let i = 0; i < 10; i++) push(`C${i}`);
    const channel = new Channel();
    const end = channel.drain(feed);
    // Lines arriving later are appended in order, too.
    push('late 1');
    status('Server marked as offline');
    channel.drain(feed, end + 60_000);
    const kinds = new Set(channel.log.map((a) => a.kind));
    expect(kinds).toEqual(new Set(['send', 'attach', 'edit']));
    expect(channel.transcript()).toEqual(expected);
    invariant(feed);
  });
});

describe('memory cap', () => {
  // 68-character lines cost 68 + 32 = 100 bytes each; 32 bytes of the cap stay free for the drop notice.
  const line = (i: number) => `line ${String(i).padStart(4, '0')} ${'m'.repeat(58)}`;

  it('drops past the cap are counted and announced exactly, in place', () => {
    const feed = planner({ maxPendingBytes: 10_032 });
    for (let i = 0; i < 150; i++) feed.push(line(i));
    expect(feed.counters.dropped).toBe(50);
    expect(feed.pendingLines).toBe(100);
    const channel = new Channel();
    const end = channel.drain(feed);
    for (let i = 150; i < 160; i++) feed.push(line(i));
    channel.drain(feed, end + 10_000);
    expect(channel.transcript()).toEqual([
      ...Array.from({ length: 100 }, (_, i) => line(i)),
      '⚠ 50 console lines dropped: feed memory limit reached',
      ...Array.from({ length: 10 }, (_, i) => line(150 + i)),
    ]);
    expect(feed.counters).toMatchObject({ received: 160, postedInline: 110, postedAttached: 0, dropped: 50 });
    invariant(feed);
  });

  it('a notice already in flight is not changed: later drops get a notice of their own; one drop says "line"', () => {
    const feed = planner({ maxPendingBytes: 1032, lingerMs: 0 });
    for (let i = 0; i < 11; i++) feed.push(line(i));
    const first = feed.next({ now: 0 });
    expect(first).toMatchObject({ kind: 'send', lines: 10 });
    // The request in flight still holds its lines, so these are dropped too.
    feed.push(line(11));
    feed.push(line(12));
    feed.ack(first, { ok: true, messageRef: 'm1', createdAt: 0 });
    feed.push(line(13));
    const channel = new Channel();
    channel.drain(feed, 100);
    expect(channel.log.map((a) => a.kind)).toEqual(['edit']);
    expect(channel.transcript()).toEqual([
      ...Array.from({ length: 10 }, (_, i) => line(i)),
      '⚠ 1 console line dropped: feed memory limit reached',
      '⚠ 2 console lines dropped: feed memory limit reached',
      line(13),
    ]);
    expect(feed.counters).toMatchObject({ received: 14, dropped: 3, postedInline: 11 });
    invariant(feed);
  });

  it('pendingBytes stays under the cap', () => {
    const feed = planner({ maxPendingBytes: 50_000 });
    for (let i = 0; i < 10_000; i++) feed.push(line(i));
    expect(feed.pendingBytes).toBeLessThanOrEqual(50_000);
  });
});
