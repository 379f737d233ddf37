/**
 * Client-side cap on websocket-token requests. Panels ≥ 1.12 (and Pelican) allow 5 per minute per server, shared by all
 * users (§10.1); going over gets 429s exactly when we most need a token. The hub shares one limiter per (panel, server).
 */
import type { Clock } from './clock.ts';

export interface TokenLimitOptions {
  count: number;
  perMs: number;
}

export const DEFAULT_WS_TOKEN_LIMIT: TokenLimitOptions = { count: 5, perMs: 60_000 };

export class SlidingWindowLimiter {
  private readonly stamps: number[] = [];
  private blockedUntil = 0;

  constructor(
    private readonly options: TokenLimitOptions,
    private readonly clock: Clock,
  ) {}

  private prune(now: number): void {
    while (this.stamps.length > 0 && this.stamps[0]! + this.options.perMs <= now) this.stamps.shift();
  }

  /** Milliseconds until a request may be made (0 = now). */
  waitMs(): number {
    const now = this.clock.now();
    this.prune(now);
    const byWindow = this.stamps.length < this.options.count ? 0 : this.stamps[0]! + this.options.perMs - now;
    return Math.max(byWindow, this.blockedUntil - now, 0);
  }

  /** Records a request made now. */
  take(): void {
    this.stamps.push(this.clock.now());
  }

  /** The panel said 429: make no request before Retry-After has passed. */
  blockFor(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + ms);
  }
}

/**
 * When to refresh a token proactively: at exp − min(lead, lifetime/2), so a skipped `token expiring` notice (§3.4)
 * never lets the token lapse. Lifetime comes from iat when present, else from when we received the token.
 */
export function refreshAtMs(exp: number, iat: number | undefined, receivedAtMs: number, leadMs: number): number {
  const expMs = exp * 1000;
  const lifetimeMs = Math.max(0, expMs - (iat !== undefined ? iat * 1000 : receivedAtMs));
  return expMs - Math.min(leadMs, lifetimeMs / 2);
}
