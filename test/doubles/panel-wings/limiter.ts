// Rate limiters with the semantics of the real implementations: golang.org/x/time/rate token buckets (Wings ≥ 1.12
// inbound limits, §7.4) and Laravel's fixed decay window (panel throttles, §10.1).

/** Token bucket: starts full at `burst`, refills continuously one token per `everyMs`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly everyMs: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  allow(): boolean {
    const t = this.now();
    const refill = this.everyMs > 0 ? (t - this.last) / this.everyMs : Number.POSITIVE_INFINITY;
    this.tokens = Math.min(this.burst, this.tokens + refill);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

export type WindowVerdict =
  | { allowed: true; limit: number; remaining: number }
  | { allowed: false; limit: number; retryAfterSec: number; resetAtSec: number };

/**
 * Laravel RateLimiter: the window opens at the first hit and lasts `windowMs`; a request over the limit is refused
 * and not counted. `limit` 0 means unlimited.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  hit(key: string): WindowVerdict {
    if (this.limit <= 0) return { allowed: true, limit: 0, remaining: 0 };
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t >= w.start + this.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) {
      const resetAt = w.start + this.windowMs;
      return {
        allowed: false,
        limit: this.limit,
        retryAfterSec: Math.max(1, Math.ceil((resetAt - t) / 1000)),
        resetAtSec: Math.ceil(resetAt / 1000),
      };
    }
    w.count += 1;
    return { allowed: true, limit: this.limit, remaining: this.limit - w.count };
  }
}
