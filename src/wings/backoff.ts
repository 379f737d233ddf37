/**
 * Capped exponential backoff with jitter in the upper half of the window — the schedule of the panel's own 2026
 * frontend (§12): 1 s, doubling, capped at 30 s. The counter is reset by the caller only after `auth success`, so a
 * socket that opens but never authenticates keeps backing off.
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs');
    }
  }

  /** Failures counted since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The window for the n-th consecutive failure (1-based): initial × 2^(n−1), capped. */
  windowMs(failure: number): number {
    const exponent = Math.min(Math.max(failure - 1, 0), 30);
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** exponent);
  }

  /** Counts a failure and returns the delay before the next attempt, in [window/2, window]. */
  next(): number {
    this.failures += 1;
    const window = this.windowMs(this.failures);
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(window / 2 + (r * window) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
