// The double's clock. Every time comparison in the double (JWT iat/exp, boot time, deny times, rate windows) reads
// `now()`, so a test can inject its own time source; `skipToNextSecond` exists because JWT times are whole seconds:
// Wings compares the integer `iat` with a boot/deny instant that has sub-second precision, so a token minted in the
// same second as a Wings restart would be denylisted. Jumping the clock to the next whole second right after recording
// such an instant lets the very next minted token be valid while every older one stays denied.
export class Clock {
  private offsetMs = 0;

  constructor(private readonly source: () => number = Date.now) {}

  now(): number {
    return this.source() + this.offsetMs;
  }

  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Moves the clock forward so that floor(now) is a whole second strictly after `markMs`. */
  skipToNextSecond(markMs: number): void {
    const target = (Math.floor(markMs / 1000) + 1) * 1000;
    const current = this.now();
    if (current < target) this.offsetMs += target - current;
  }
}
