// Wings' per-server console throttle (§8.2): at most `lines` per window; the window restarts once more than
// `intervalMs` passed since it was last reset. An "episode" starts at the first refused line and ends at the next
// accepted one (one daemon notice per episode).
export class ConsoleThrottle {
  private windowStart = 0;
  private count = 0;
  private episode = false;

  constructor(
    private readonly lines: number,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** 'pass' | 'drop' | 'notice' (= drop and announce the start of an episode). */
  check(): 'pass' | 'drop' | 'notice' {
    const t = this.now();
    if (t - this.windowStart > this.intervalMs) {
      this.windowStart = t;
      this.count = 0;
    }
    if (this.count < this.lines) {
      this.count += 1;
      this.episode = false;
      return 'pass';
    }
    if (this.episode) return 'drop';
    this.episode = true;
    return 'notice';
  }

  /** The counter resets when the server enters `starting`. */
  reset(): void {
    this.windowStart = 0;
    this.count = 0;
    this.episode = false;
  }
}
