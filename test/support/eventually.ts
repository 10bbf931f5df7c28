/**
 * Retries `check` until it stops throwing, then returns what it returned;
 * after `timeoutMs` the last failure is thrown. The one way tests wait for
 * something another process (or a cache window) makes true.
 */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 15_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
