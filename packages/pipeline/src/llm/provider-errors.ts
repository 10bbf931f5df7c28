import { MnemoError } from '@mnemo/core';

/** Statuses a retry cannot fix. */
const FINAL_STATUSES = new Set([400, 401, 402, 403, 404, 413, 422]);
/** 429 rate limited, 503 busy (Ollama, vLLM), 529 overloaded (Anthropic): back off, do not count as a failed attempt. */
const BACK_OFF_STATUSES = new Set([429, 503, 529]);
const DEFAULT_BACK_OFF_MS = 30_000;

/**
 * What the queue should do with a model provider's HTTP error, whichever
 * the provider: back off (RATE_LIMIT_EXCEEDED, for the Retry-After), fail
 * for good (PROCESSING_ERROR), or undefined: retry with back-off (5xx).
 */
export function providerFailure(
  provider: string,
  error: { status: number; headers?: Headers | undefined; message: string },
  cause: unknown = error,
): MnemoError | undefined {
  if (BACK_OFF_STATUSES.has(error.status)) {
    const header = error.headers?.get('retry-after');
    const seconds = header ? Number(header) : NaN;
    const retryAfterMs = Number.isFinite(seconds) ? Math.max(1_000, seconds * 1_000) : DEFAULT_BACK_OFF_MS;
    return new MnemoError('RATE_LIMIT_EXCEEDED', `${provider} answered ${error.status}; backing off ${retryAfterMs} ms`, { retry_after_ms: retryAfterMs });
  }
  if (FINAL_STATUSES.has(error.status)) {
    return new MnemoError('PROCESSING_ERROR', `${provider} refused the request (${error.status}): ${error.message}`, undefined, { cause });
  }
  return undefined;
}
