/**
 * Caps how often one connection may log the same kind of complaint, so a misbehaving daemon (or an expired token's
 * `jwt error` flood, §3.3) cannot flood the log. Suppressed entries are counted and reported with the next one allowed.
 */
import type { Clock } from './clock.ts';

export class LogLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxPerWindow = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Returns undefined when this entry should be dropped, else how many were dropped before it. */
  admit(): { suppressed: number } | undefined {
    const now = this.clock.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.maxPerWindow) {
      this.suppressed += 1;
      return undefined;
    }
    this.inWindow += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { suppressed };
  }
}
