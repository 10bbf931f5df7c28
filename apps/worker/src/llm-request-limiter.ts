import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { MnemoError, redisKey } from '@mnemo/core';

/**
 * A requests-per-minute budget for model calls shared by every worker
 * process (one Redis key). Over budget, the call is not made: it becomes
 * RATE_LIMIT_EXCEEDED, which pauses the worker like a provider 429 would.
 */
export function llmRequestLimiter(redis: Redis, prefix: string, perMinute: number): () => Promise<void> {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKey(prefix, 'llmRpm'), points: perMinute, duration: 60 });
  return async () => {
    try {
      await limiter.consume('fleet');
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterMs = Math.max(100, rejection.msBeforeNext);
      throw new MnemoError('RATE_LIMIT_EXCEEDED', `fleet model budget of ${perMinute} requests/min used; waiting ${retryAfterMs} ms`, {
        retry_after_ms: retryAfterMs,
      });
    }
  };
}
