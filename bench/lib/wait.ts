/** Condition waits for the benchmarks (never a blind sleep where a condition can be checked). */

export async function waitFor<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs: number,
  intervalMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/** A timer: used only to pace load (emitting at a rate, sampling at an interval), never to wait for a result. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
