/**
 * Waits for a condition by asking again, never by sleeping a fixed time: a
 * test that waits passes on a loaded machine as soon as the thing happens.
 * `check` passes when it returns anything but `false` without throwing (an
 * `expect` inside it is fine); after `timeoutMs` the last failure is thrown.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      failure = new Error(`condition still false after ${timeoutMs} ms`);
    } catch (err) {
      failure = err;
    }
    if (Date.now() >= deadline) throw failure;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
