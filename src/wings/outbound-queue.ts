/**
 * Client-side mirror of Wings ≥ 1.12 inbound limits (§7.4): a per-socket global bucket plus one bucket per event.
 * Sends wait in one FIFO queue and leave in order when both buckets have a token, so a burst is spread out instead of
 * being dropped by Wings (which only answers `throttled`). Auth frames jump the queue; before `auth success` only they
 * may leave, because Wings answers anything else with `jwt error`.
 */
import { type Clock, TimerSlot } from './clock.ts';
import { WingsError } from './errors.ts';
import { encodeFrame } from './protocol.ts';

export interface LimitsOptions {
  /** Client-side buckets on (default) or off (Wings 1.11 has no limits, but staying under them costs nothing). */
  enabled?: boolean;
  /** Multiplies every refill interval; tests use < 1 to run faster against a double configured the same way. */
  scale?: number;
  /** Extra slack on refill intervals so network jitter cannot make us look faster than we are. Default 1.15. */
  safety?: number;
  /**
   * Tokens of each burst we leave unused (default 1, never below a burst of 1): Wings then always holds at least that
   * many more tokens than we think, which absorbs a message that arrives late behind another.
   */
  reserve?: number;
  /** Sends allowed to wait at once; more are refused with WingsError 'busy'. Default 100. */
  maxQueued?: number;
}

interface BucketSpec {
  burst: number;
  refillMs: number;
}

/** Wings' own numbers (§7.4). */
export const WINGS_LIMITS: { global: BucketSpec; events: Record<string, BucketSpec>; other: BucketSpec } = {
  global: { burst: 10, refillMs: 200 },
  events: {
    auth: { burst: 2, refillMs: 5000 },
    'send logs': { burst: 2, refillMs: 5000 },
    'send command': { burst: 10, refillMs: 1000 },
  },
  other: { burst: 4, refillMs: 1000 },
};

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly burst: number,
    readonly refillMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) / this.refillMs);
    }
    this.last = now;
  }

  /** Milliseconds until a token is available (0 = now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.refillMs);
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
}

export type QueueMode = 'closed' | 'auth-only' | 'open';

interface Pending {
  event: string;
  args: string[];
  priority: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class OutboundQueue {
  private readonly items: Pending[] = [];
  private readonly timer: TimerSlot;
  private global!: TokenBucket;
  private readonly buckets = new Map<string, TokenBucket>();
  private mode: QueueMode = 'closed';
  private readonly enabled: boolean;
  private readonly factor: number;
  private readonly maxQueued: number;
  private readonly reserve: number;

  constructor(
    private readonly clock: Clock,
    private readonly write: (frame: string) => void,
    limits: LimitsOptions = {},
  ) {
    this.timer = new TimerSlot(clock);
    this.enabled = limits.enabled ?? true;
    this.factor = (limits.scale ?? 1) * (limits.safety ?? 1.15);
    this.maxQueued = limits.maxQueued ?? 100;
    this.reserve = limits.reserve ?? 1;
    this.resetBuckets();
  }

  get length(): number {
    return this.items.length;
  }

  /** A new socket starts with full buckets, as Wings creates its limiters per connection. */
  resetBuckets(): void {
    const now = this.clock.now();
    this.global = this.bucket(WINGS_LIMITS.global, now);
    this.buckets.clear();
  }

  setMode(mode: QueueMode): void {
    this.mode = mode;
    this.pump();
  }

  /** Resolves once the frame was handed to the socket. */
  enqueue(event: string, args: string[], priority = false): Promise<void> {
    if (!priority && this.items.length >= this.maxQueued) {
      return Promise.reject(
        new WingsError('busy', 'Too many requests are waiting to be sent to the server; try again in a moment.'),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const item: Pending = { event, args, priority, resolve, reject };
      if (priority) {
        const firstOrdinary = this.items.findIndex((i) => !i.priority);
        this.items.splice(firstOrdinary === -1 ? this.items.length : firstOrdinary, 0, item);
      } else {
        this.items.push(item);
      }
      this.pump();
    });
  }

  /** Drops every waiting item: ordinary sends are rejected with `error`, auth frames are discarded silently. */
  clear(error: Error): void {
    this.timer.clear();
    const dropped = this.items.splice(0);
    for (const item of dropped) {
      if (item.priority) item.resolve();
      else item.reject(error);
    }
  }

  private bucket(spec: BucketSpec, now: number): TokenBucket {
    return new TokenBucket(Math.max(1, spec.burst - this.reserve), spec.refillMs * this.factor, now);
  }

  private bucketFor(event: string): TokenBucket {
    const key = event in WINGS_LIMITS.events ? event : '*';
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const spec = WINGS_LIMITS.events[event] ?? WINGS_LIMITS.other;
      bucket = this.bucket(spec, this.clock.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private pump(): void {
    this.timer.clear();
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (this.mode === 'closed' || (this.mode === 'auth-only' && !head.priority)) return;
      if (this.enabled) {
        const now = this.clock.now();
        const bucket = this.bucketFor(head.event);
        const wait = Math.max(this.global.waitMs(now), bucket.waitMs(now));
        if (wait > 0) {
          this.timer.set(wait, () => this.pump());
          return;
        }
        this.global.take(now);
        bucket.take(now);
      }
      this.items.shift();
      try {
        this.write(encodeFrame(head.event, head.args));
        head.resolve();
      } catch (error) {
        head.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
