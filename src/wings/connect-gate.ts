/**
 * Bounds how many connections talk to one panel at once while connecting. At start a process may open thousands of
 * bindings; without a bound they all ask the panel for details and a token at the same moment, time out, retry and hit
 * its rate limit (bench `scale`: 10,000 bindings made 47,546 panel requests and 7,069 429s unbounded, 20,002 and none
 * with 200 in flight).
 */
export class ConnectGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Resolves with a release function once a slot is free; release is idempotent. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next) next();
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
