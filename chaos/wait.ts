/** Waits on conditions, never on the clock: re-checks `check` on a short interval until it holds or time is up. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Like waitFor, but reports whether the condition held instead of throwing. */
export async function holdsWithin(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(async () => (await check()) || undefined, 'a condition', timeoutMs);
    return true;
  } catch {
    return false;
  }
}
