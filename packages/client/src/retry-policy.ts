/** How the client retries: which answers are waited out, and for how long. */
export interface RetryOptions {
  /** Tries in all, the first included (default 4; Infinity waits out any outage, as the importer does). */
  attempts?: number;
  /** First wait without a Retry-After, doubled each time (default 500 ms). */
  baseDelayMs?: number;
  /** Longest single wait, Retry-After included (default 30 s). */
  maxDelayMs?: number;
  /** Told before each wait: the reason and how long (progress bars, logs). */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  attempt: number;
  waitMs: number;
  /** The HTTP status, or null for a network error. */
  status: number | null;
  reason: string;
}

/** Answers worth another try: rate limited, overloaded or restarting, and other server errors. */
export function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The wait before try `attempt + 1`: the server's Retry-After when it gave one, else exponential back-off; both capped. */
export function delayFor(attempt: number, retryAfter: number | null, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  return Math.min(max, retryAfter ?? base * 2 ** (attempt - 1));
}
