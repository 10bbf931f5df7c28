/** The API's error envelope: `{status: "error", error: {code, message, details?}, timestamp}`. */
export interface ErrorEnvelope {
  status: 'error';
  error: { code: string; message: string; details?: unknown };
  timestamp: string;
}

/** An error answer of the API, with its code (VALIDATION_ERROR, NOT_FOUND, …) and details. */
export class MnemoApiError extends Error {
  override name = 'MnemoApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** What Retry-After asked for, when the server sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  /** From an answer's status and body, whatever the body (a proxy's HTML page is not an envelope). */
  static from(status: number, body: unknown, retryAfterMs: number | null = null): MnemoApiError {
    const error = (body as Partial<ErrorEnvelope> | undefined)?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      return new MnemoApiError(status, error.code, error.message, error.details, retryAfterMs);
    }
    const text = typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
    return new MnemoApiError(status, status >= 500 ? 'PROCESSING_ERROR' : 'UNKNOWN_ERROR', `HTTP ${status}${text}`, undefined, retryAfterMs);
  }
}
