/**
 * Token refresh on a live socket (§3.4, §12): get new credentials from the panel and send `auth` again on the SAME
 * socket. A small explicit state machine, like the panel frontend's single `updatingToken` flag, extended with a
 * proactive timer (the expiry notice can be skipped) and a backoff when the panel refuses.
 *
 *   idle ──trigger──▶ fetching ──ok──▶ awaiting-ack ──auth success──▶ scheduled ──timer/trigger──▶ fetching …
 *                         │ transient error / limiter full                ▲
 *                         ▼                                                │
 *                     backing-off ──timer──▶ fetching       (auth success of the first token also lands in scheduled)
 *
 * Triggers while fetching, awaiting-ack or backing-off are ignored: one refresh in flight at a time.
 */
import type { Backoff } from './backoff.ts';
import { type Clock, TimerSlot } from './clock.ts';
import { asPanelFailure, describeError, type FatalPanelCode, fatalPanelFailure } from './errors.ts';
import { jwtExpiry, jwtIssuedAt } from './protocol.ts';
import { refreshAtMs, type SlidingWindowLimiter } from './token-limit.ts';

export type RefreshPhase = 'idle' | 'fetching' | 'awaiting-ack' | 'scheduled' | 'backing-off';

export type RefreshTrigger = 'token expiring' | 'token expired' | 'exp claim invalid' | 'denylist' | 'proactive';

export interface TokenRefresherDeps {
  clock: Clock;
  limiter: SlidingWindowLimiter;
  backoff: Backoff;
  leadMs: number;
  /** Complaints about expiry that arrive this soon after an `auth success` concern the previous token. */
  staleGraceMs: number;
  fetchToken: () => Promise<string>;
  sendAuth: (token: string) => void;
  onFatal: (code: FatalPanelCode, reason: string) => void;
  onEvent: (event: string, fields: Record<string, unknown>) => void;
}

export class TokenRefresher {
  private phaseValue: RefreshPhase = 'idle';
  private generation = 0;
  private readonly timer: TimerSlot;
  private tokenValue: string | undefined;
  private receivedAt = 0;
  private ackedAt = Number.NEGATIVE_INFINITY;
  private refreshCount = 0;

  constructor(private readonly deps: TokenRefresherDeps) {
    this.timer = new TimerSlot(deps.clock);
  }

  get phase(): RefreshPhase {
    return this.phaseValue;
  }

  /** The token most recently sent (or about to be sent) in `auth`. */
  get token(): string | undefined {
    return this.tokenValue;
  }

  /** Refreshes completed on the current socket. */
  get refreshes(): number {
    return this.refreshCount;
  }

  /** A new socket starts with this token; nothing is scheduled until Wings accepts it. */
  begin(token: string): void {
    this.cancel();
    this.tokenValue = token;
    this.receivedAt = this.deps.clock.now();
    this.ackedAt = Number.NEGATIVE_INFINITY;
    this.refreshCount = 0;
  }

  /** Wings accepted the token we sent last: plan the next refresh from its `exp`. */
  onAuthSuccess(): void {
    if (this.phaseValue === 'awaiting-ack') this.refreshCount += 1;
    this.ackedAt = this.deps.clock.now();
    this.deps.backoff.reset();
    const token = this.tokenValue;
    const exp = token === undefined ? undefined : jwtExpiry(token);
    if (token === undefined || exp === undefined) {
      // No readable exp: rely on Wings' notices alone.
      this.phaseValue = 'idle';
      this.timer.clear();
      return;
    }
    const at = refreshAtMs(exp, jwtIssuedAt(token), this.receivedAt, this.deps.leadMs);
    this.phaseValue = 'scheduled';
    this.timer.set(at - this.deps.clock.now(), () => this.trigger('proactive'));
  }

  /** Asks for a refresh. Returns whether one was started now (false: one is in flight, waiting, or stale). */
  trigger(reason: RefreshTrigger): boolean {
    if (this.phaseValue === 'fetching' || this.phaseValue === 'awaiting-ack' || this.phaseValue === 'backing-off') {
      return false;
    }
    if (reason !== 'proactive' && this.isStale(reason)) return false;
    void this.run(reason);
    return true;
  }

  cancel(): void {
    this.generation += 1;
    this.timer.clear();
    this.phaseValue = 'idle';
  }

  private isStale(reason: RefreshTrigger): boolean {
    const now = this.deps.clock.now();
    if (reason === 'token expiring') {
      // A notice while the acknowledged token is still in its first half of life was meant for the one before it.
      const token = this.tokenValue;
      const exp = token === undefined ? undefined : jwtExpiry(token);
      if (exp === undefined || this.phaseValue !== 'scheduled') return false;
      const issued = jwtIssuedAt(token!);
      const startMs = issued !== undefined ? issued * 1000 : this.receivedAt;
      return now < startMs + (exp * 1000 - startMs) / 2;
    }
    // Only a replaced token can be complained about late; right after the socket's first auth there is none.
    return this.phaseValue === 'scheduled' && this.refreshCount > 0 && now - this.ackedAt < this.deps.staleGraceMs;
  }

  private async run(reason: RefreshTrigger): Promise<void> {
    const generation = ++this.generation;
    this.timer.clear();
    const wait = this.deps.limiter.waitMs();
    if (wait > 0) {
      this.backOff(wait, reason, 'websocket-token limit');
      return;
    }
    this.phaseValue = 'fetching';
    this.deps.onEvent('refresh', { reason });
    let token: string;
    try {
      token = await this.deps.fetchToken();
    } catch (error) {
      if (generation !== this.generation) return;
      const fatal = fatalPanelFailure(error);
      if (fatal !== undefined) {
        this.phaseValue = 'idle';
        this.deps.onFatal(fatal.code, fatal.reason);
        return;
      }
      const failure = asPanelFailure(error);
      const delay = Math.max(this.deps.backoff.next(), failure.retryAfterMs ?? 0, this.deps.limiter.waitMs());
      this.backOff(delay, reason, describeError(error));
      return;
    }
    if (generation !== this.generation) return;
    this.tokenValue = token;
    this.receivedAt = this.deps.clock.now();
    this.phaseValue = 'awaiting-ack';
    this.deps.sendAuth(token);
  }

  private backOff(delayMs: number, reason: RefreshTrigger, why: string): void {
    this.phaseValue = 'backing-off';
    this.deps.onEvent('refresh delayed', { reason, why, delayMs });
    this.timer.set(delayMs, () => {
      void this.run(reason);
    });
  }
}
