import type { Redis } from 'ioredis';
import { isMnemoError } from '@mnemo/core';
import { llmRequestLimiter } from '../../apps/worker/src/llm-request-limiter';
import { deletePrefix, testRedis, uniquePrefix } from '../support/redis';

describe('fleet-wide model request budget', () => {
  const prefix = uniquePrefix('rpm');
  let redis: Redis;
  beforeAll(() => {
    redis = testRedis('llm-rpm');
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('lets the budget through across processes, then asks to wait until the window frees', async () => {
    // Two limiters stand for two worker processes sharing one Redis.
    const a = llmRequestLimiter(redis, prefix, 3);
    const b = llmRequestLimiter(redis, prefix, 3);
    await a();
    await b();
    await a();
    const err = await b().catch((e: unknown) => e);
    expect(isMnemoError(err) && err.code).toBe('RATE_LIMIT_EXCEEDED');
    const wait = (err as { details: { retry_after_ms: number } }).details.retry_after_ms;
    expect(wait).toBeGreaterThan(50_000);
    expect(wait).toBeLessThanOrEqual(60_000);
  });
});
