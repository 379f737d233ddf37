/**
 * Reconnect de-duplication. After a reconnect `send logs` replays the container log's last 150 lines (no ids), which
 * overlaps what the feed already has. Lines are compared without colour codes, carriage returns and trailing
 * whitespace; empty lines (in the replay but never live) and Wings' daemon lines (live but never in the log) are left
 * out of the matching.
 */
import { stripAnsi } from './ansi.ts';
import { isDaemonLine } from './escape.ts';

export interface ReplayMatch {
  /** Replay lines that are new, in order (blank lines kept only between new lines). */
  fresh: string[];
  /** How many comparable replay lines matched the tail; 0 = no overlap found (a gap is possible). */
  overlap: number;
}

/** The replayed lines that come after what was already posted. */
export function newLinesAfterReplay(postedTail: readonly string[], replay: readonly string[]): string[] {
  return matchReplay(postedTail, replay).fresh;
}

/**
 * Aligns the replay with the end of the tail: the largest p such that the first p comparable replay lines end with the
 * last min(p, tail) comparable tail lines. Largest p means the most recent alignment, so repeated identical lines are
 * not posted twice. O(tail × replay) comparisons of short keys; both are bounded (~200 × 150).
 */
export function matchReplay(postedTail: readonly string[], replay: readonly string[]): ReplayMatch {
  const tail = comparable(postedTail).map((c) => c.key);
  const rep = comparable(replay);
  const n = tail.length;
  const m = rep.length;
  let p = 0;
  for (let candidate = m; candidate > 0 && n > 0; candidate--) {
    const k = Math.min(candidate, n);
    let same = true;
    for (let t = 0; t < k; t++) {
      if (rep[candidate - 1 - t]!.key !== tail[n - 1 - t]) {
        same = false;
        break;
      }
    }
    if (same) {
      p = candidate;
      break;
    }
  }
  if (p === 0 && n > 0) p = alignAcrossHoles(tail, rep);
  // Live lines can reach the collection ahead of the replay (Wings answers `send logs` on its own goroutine): such a
  // line sits before the alignment point yet was never posted. Keep every line there the tail and the rest do not hold.
  const seen = new Set(tail);
  for (let i = p; i < m; i++) seen.add(rep[i]!.key);
  // When the tail is shorter than the replay, lines before the first one the tail knows are history from before the
  // feed started, not stragglers.
  const tailKeys = new Set(tail);
  let from = 0;
  if (n < m) while (from < p && !tailKeys.has(rep[from]!.key)) from++;
  const stragglers: string[] = [];
  for (let i = from; i < p; i++) if (!seen.has(rep[i]!.key)) stragglers.push(replay[rep[i]!.index]!);
  if (p === m) return { fresh: stragglers, overlap: p };
  const first = rep[p]!.index;
  let last = replay.length - 1;
  while (last > first && key(replay[last]!) === '') last--;
  return { fresh: [...stragglers, ...replay.slice(first, last + 1)], overlap: p };
}

/** How many of the tail's newest lines must be found, in order, for an alignment that skips replay lines. */
const HOLE_ANCHOR_LINES = 8;

/**
 * Fallback when no exact alignment exists because the tail has holes: lines the bot never saw live (output Wings swapped
 * for jwt errors on an expired token, lines its throttle discarded) are in the replay but not in the tail. Finds the most
 * recent replay position of the tail's newest line from which the tail's newest lines can be found going backwards, in
 * order, skipping replay lines in between. Lines inside such holes are not posted: they would land out of order.
 */
function alignAcrossHoles(tail: readonly string[], rep: readonly Comparable[]): number {
  const n = tail.length;
  const anchors = Math.min(n, HOLE_ANCHOR_LINES);
  for (let candidate = rep.length; candidate > 0; candidate--) {
    if (rep[candidate - 1]!.key !== tail[n - 1]) continue;
    let found = 1;
    let r = candidate - 2;
    for (let t = n - 2; found < anchors && t >= 0 && r >= 0; r--) {
      if (rep[r]!.key === tail[t]) {
        found++;
        t--;
      }
    }
    if (found === anchors) return candidate;
  }
  return 0;
}

interface Comparable {
  key: string;
  index: number;
}

function comparable(lines: readonly string[]): Comparable[] {
  const out: Comparable[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isDaemonLine(line)) continue;
    const k = key(line);
    if (k !== '') out.push({ key: k, index: i });
  }
  return out;
}

function key(line: string): string {
  const plain = stripAnsi(line);
  return (plain.includes('\r') ? plain.replaceAll('\r', '') : plain).trimEnd();
}

/** The last `capacity` raw lines seen, for matchReplay's tail (a ring, O(1) per line). */
export class RecentLines {
  private readonly ring: string[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity = 200) {
    this.ring = new Array<string>(capacity);
  }

  push(line: string): void {
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Oldest first. */
  lines(): string[] {
    const out: string[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }
}
