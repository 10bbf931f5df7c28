import { MnemoApiError } from './mnemo-api-error';
import { delayFor, retryable, retryAfterMs } from './retry-policy';

describe('retry policy', () => {
  it('waits out rate limits and server errors, never client errors', () => {
    expect([429, 500, 502, 503].every(retryable)).toBe(true);
    expect([400, 401, 403, 404, 413, 422].some(retryable)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs('0')).toBe(0);
    const now = Date.parse('2026-12-04T10:00:00Z');
    expect(retryAfterMs('Fri, 04 Dec 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
  });

  it("takes the server's wait when given, else doubles from the base; both capped", () => {
    expect(delayFor(1, 2_000)).toBe(2_000);
    expect(delayFor(1, null, { baseDelayMs: 100 })).toBe(100);
    expect(delayFor(4, null, { baseDelayMs: 100 })).toBe(800);
    expect(delayFor(20, null, { maxDelayMs: 5_000 })).toBe(5_000);
    expect(delayFor(1, 120_000, { maxDelayMs: 30_000 })).toBe(30_000);
  });
});

describe('MnemoApiError', () => {
  it("carries the envelope's code, message and details", () => {
    const err = MnemoApiError.from(400, { status: 'error', error: { code: 'VALIDATION_ERROR', message: 'query: must not be empty', details: [{ field: 'query' }] }, timestamp: 't' }, 1_000);
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', message: 'query: must not be empty', details: [{ field: 'query' }], retryAfterMs: 1_000 });
    expect(err).toBeInstanceOf(Error);
  });

  it('names the status when the body is not an envelope (a proxy page)', () => {
    expect(MnemoApiError.from(502, '<html>Bad gateway</html>')).toMatchObject({ code: 'PROCESSING_ERROR', message: 'HTTP 502: <html>Bad gateway</html>' });
    expect(MnemoApiError.from(418, undefined)).toMatchObject({ code: 'UNKNOWN_ERROR', message: 'HTTP 418' });
  });
});
