/**
 * End-of-run bookkeeping: console lines (what reached the bot vs what Discord shows), interactions (deadlines, answers),
 * Wings actions (each `set state` / `send command` the double received must belong to a moderator's interaction), and
 * memory (least-squares slope after warm-up). Pure functions over what the doubles and the bot process recorded.
 */
import type { StoredMessage } from '../test/doubles/discord/index.ts';
import type { FrameRecord } from '../test/doubles/panel-wings/index.ts';
import type { Asked } from './activity.ts';
import { numbersIn } from './lines.ts';

export interface LineFigures {
  /** Numbered lines Wings published (passed its throttle). */
  published: number;
  /** Distinct numbered lines that reached the bot's socket, live or by `send logs` replay: "produced". */
  produced: number;
  inline: number;
  attached: number;
  /** Lines the feed said it dropped (its "⚠ N console lines dropped" notices). */
  reportedDropped: number;
  /** Lines shown more than once (counted once each). */
  duplicated: number;
  /** Produced, not shown, and not covered by a drop notice. */
  missing: number;
  /** Shown but never on the wire (should be impossible). */
  phantom: number;
  /** Published by Wings but never on the bot's socket (connection gaps longer than the replay, expired tokens). */
  neverReachedBot: number;
  /** Numbers that arrived on the wire more than once (replays overlapping live output). */
  wireRepeats: number;
}

const DROP_NOTICE = /⚠ ([\d,]+) console lines? dropped/g;

export function accountLines(
  messages: readonly StoredMessage[],
  wire: readonly number[],
  published: readonly number[],
): LineFigures & { missingSample: number[]; duplicatedSample: number[] } {
  const shown = new Map<number, number>();
  let inline = 0;
  let attached = 0;
  let reportedDropped = 0;
  const count = (n: number) => shown.set(n, (shown.get(n) ?? 0) + 1);
  for (const m of messages) {
    // The final state of each message: earlier edits are the same message growing, not separate posts.
    for (const n of numbersIn(m.content)) {
      count(n);
      inline += 1;
    }
    for (const match of m.content.matchAll(DROP_NOTICE)) reportedDropped += Number((match[1] ?? '0').replace(/,/g, ''));
    for (const a of m.attachments) {
      const text = a.content.toString('utf8');
      for (const n of numbersIn(text)) {
        count(n);
        attached += 1;
      }
      for (const match of text.matchAll(DROP_NOTICE)) reportedDropped += Number((match[1] ?? '0').replace(/,/g, ''));
    }
  }
  const wireSet = new Set(wire);
  const publishedSet = new Set(published);
  const missing = [...wireSet].filter((n) => !shown.has(n)).sort((a, b) => a - b);
  const duplicated = [...shown].filter(([, c]) => c > 1).map(([n]) => n);
  const phantom = [...shown.keys()].filter((n) => !wireSet.has(n)).length;
  return {
    published: publishedSet.size,
    produced: wireSet.size,
    inline,
    attached,
    reportedDropped,
    duplicated: duplicated.length,
    missing: missing.length,
    phantom,
    neverReachedBot: [...publishedSet].filter((n) => !wireSet.has(n)).length,
    wireRepeats: wire.length - wireSet.size,
    missingSample: missing.slice(0, 10),
    duplicatedSample: duplicated.slice(0, 10),
  };
}

export interface InteractionFigures {
  total: number;
  /** Created while Discord had no resumable session: Discord drops these itself ("interaction failed"). */
  undeliverable: number;
  onTime: number;
  late: number;
  /** Deliverable but never acknowledged at all. */
  unanswered: number;
  /**
   * Never acknowledged because every session it was dispatched to ended (non-resumable close) within Discord's 3 s:
   * the event went down with the session, as on real Discord ("This interaction failed"). Not the bot's doing.
   */
  lostWithSession: number;
  /** Refusals a plain member received for moderator actions. */
  memberRefusals: number;
  lateSample: string[];
  /** Replies plain members got to action attempts other than the moderator refusal (e.g. a refusal for another reason). */
  memberOtherReplies: string[];
}

export function accountInteractions(
  asked: readonly Asked[],
  sessionEndedAt: ReadonlyMap<string, number> = new Map(),
): InteractionFigures {
  const deliverable = asked.filter((a) => a.deliverable);
  const late = deliverable.filter((a) => a.handle.deadlineMet === false && a.handle.acknowledged);
  const lostWithSession = deliverable.filter(
    (a) =>
      !a.handle.acknowledged &&
      a.sessions.every((id) => {
        const ended = sessionEndedAt.get(id);
        return ended !== undefined && ended - a.handle.createdAt <= a.handle.deadlineMs;
      }),
  );
  const unanswered = deliverable.filter((a) => !a.handle.acknowledged && !lostWithSession.includes(a));
  const memberActions = asked.filter((a) => a.role === 'member' && a.action);
  const refused = (a: Asked) => /^Only moderators can do that/.test(a.handle.final()?.content ?? '');
  const memberRefusals = memberActions.filter(refused).length;
  return {
    total: asked.length,
    undeliverable: asked.length - deliverable.length,
    onTime: deliverable.filter((a) => a.handle.deadlineMet === true).length,
    late: late.length,
    unanswered: unanswered.length,
    lostWithSession: lostWithSession.length,
    memberRefusals,
    lateSample: [...late, ...unanswered]
      .slice(0, 5)
      .map((a) => `${a.role} ${a.what} on ${a.server} (ack after ${(a.handle.ackAt ?? 0) - a.handle.createdAt} ms)`),
    memberOtherReplies: memberActions
      .filter((a) => !refused(a))
      .slice(0, 5)
      .map((a) => `${a.what}: ${a.deliverable ? (a.handle.final()?.content ?? '(no reply)') : '(undeliverable)'}`),
  };
}

export interface ActionFigures {
  /** `set state` / `send command` frames Wings received. */
  frames: number;
  /** Frames matched to a moderator's (or admin's) interaction for the same action, created before the frame. */
  matched: number;
  /** Frames no moderator asked for: each one is a breach. */
  unmatched: string[];
  /** Plain members' attempts at actions (all must have been refused). */
  memberAttempts: number;
}

/**
 * Greedy time-ordered matching: each frame takes the earliest unused moderator interaction for the same action on the
 * same server created before it. A plain member's interaction is never a candidate, so a frame caused by one stays
 * unmatched (unless a moderator asked for the same thing earlier and got nothing sent — then the count still shows it).
 */
export function correlateActions(
  serverName: string,
  frames: readonly FrameRecord[],
  asked: readonly Asked[],
): ActionFigures {
  const candidates = asked
    .filter((a) => a.server === serverName && a.action && a.role !== 'member')
    .map((a) => ({ a, used: false }))
    .sort((x, y) => x.a.handle.createdAt - y.a.handle.createdAt);
  const actionFrames = frames.filter((f) => f.event === 'set state' || f.event === 'send command');
  const unmatched: string[] = [];
  let matched = 0;
  for (const f of actionFrames) {
    const action = f.event === 'send command' ? 'command' : f.args.join('');
    const c = candidates.find((x) => !x.used && x.a.action === action && x.a.handle.createdAt <= f.at);
    if (c) {
      c.used = true;
      matched += 1;
    } else {
      unmatched.push(`${serverName}: ${f.event} ${f.event === 'set state' ? f.args.join('') : '<command>'}`);
    }
  }
  return {
    frames: actionFrames.length,
    matched,
    unmatched,
    memberAttempts: asked.filter((a) => a.server === serverName && a.role === 'member' && a.action).length,
  };
}

export interface MemorySample {
  at: number;
  rss: number;
  heapUsed: number;
}

export interface MemoryFigures {
  samples: number;
  /** Least-squares slopes after warm-up, in MiB per minute. */
  heapSlopeMiBPerMin: number;
  rssSlopeMiBPerMin: number;
  heapAfterWarmupMiB: number;
  heapAtEndMiB: number;
  rssAtEndMiB: number;
}

function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 3) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const MiB = 1024 * 1024;

export function memoryFigures(samples: readonly MemorySample[], warmupUntil: number): MemoryFigures {
  const after = samples.filter((s) => s.at >= warmupUntil);
  const first = after[0];
  const last = after.at(-1);
  return {
    samples: after.length,
    heapSlopeMiBPerMin: slopePerMinute(after.map((s) => [s.at, s.heapUsed / MiB])),
    rssSlopeMiBPerMin: slopePerMinute(after.map((s) => [s.at, s.rss / MiB])),
    heapAfterWarmupMiB: first ? first.heapUsed / MiB : 0,
    heapAtEndMiB: last ? last.heapUsed / MiB : 0,
    rssAtEndMiB: last ? last.rss / MiB : 0,
  };
}
