// Fixed-window buckets as Discord reports them: a window opens with the first request and resets `windowMs` later.
import { createHash } from 'node:crypto';

export interface Limit {
  limit: number;
  windowMs: number;
}

export interface BucketState {
  limit: number;
  remaining: number;
  resetAt: number;
  hash: string;
}

export interface Take extends BucketState {
  ok: boolean;
}

interface Window {
  count: number;
  resetAt: number;
}

export class RateLimiter {
  private windows = new Map<string, Window>();

  /** Counts one request in bucket `key`; ok=false (and nothing counted) when the window is already full. */
  take(key: string, hash: string, limit: Limit, now = Date.now()): Take {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + limit.windowMs };
      this.windows.set(key, w);
    }
    if (w.count >= limit.limit) return { ok: false, limit: limit.limit, remaining: 0, resetAt: w.resetAt, hash };
    w.count += 1;
    return { ok: true, limit: limit.limit, remaining: limit.limit - w.count, resetAt: w.resetAt, hash };
  }
}

/** Opaque per-route bucket id, like Discord's X-RateLimit-Bucket. */
export function bucketHash(template: string): string {
  return createHash('sha1').update(template).digest('hex').slice(0, 32);
}

export function rateLimitHeaders(b: BucketState, now = Date.now()): Record<string, string> {
  const resetAfter = Math.max(0, b.resetAt - now) / 1000;
  return {
    'x-ratelimit-limit': String(b.limit),
    'x-ratelimit-remaining': String(b.remaining),
    'x-ratelimit-reset': (b.resetAt / 1000).toFixed(3),
    'x-ratelimit-reset-after': resetAfter.toFixed(3),
    'x-ratelimit-bucket': b.hash,
  };
}
