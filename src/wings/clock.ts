/** Time seam: the state machine reads time and sets timers only through this, so tests can drive it. */

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One named timer slot: setting it again replaces the previous timer. */
export class TimerSlot {
  private handle: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  get pending(): boolean {
    return this.handle !== undefined;
  }

  set(ms: number, fn: () => void): void {
    this.clear();
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
