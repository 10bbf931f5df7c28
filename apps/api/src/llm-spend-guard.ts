import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { keyPart, MnemoError, redisKey } from '@mnemo/core';

/**
 * A per-user daily cap on conversations sent to the model (UTC days), so
 * one runaway client cannot spend the deployment's LLM budget. Counted in
 * Redis at enqueue time across every API process; offline extraction has
 * no cap.
 */
export class LlmSpendGuard {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly perDay: number,
  ) {
    // Keys carry the date; the window only has to outlast the day.
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKey(prefix, 'llmDay'), points: perDay, duration: 2 * 86_400 });
  }

  /** Takes one conversation from the user's day; throws RATE_LIMIT_EXCEEDED when the day's cap is used. */
  async take(userId: string, now = new Date()): Promise<void> {
    try {
      await this.limiter.consume(`${keyPart(userId)}:${now.toISOString().slice(0, 10)}`);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      const retryAfter = Math.ceil((midnight - now.getTime()) / 1000);
      throw new MnemoError('RATE_LIMIT_EXCEEDED', `Daily model budget used: ${this.perDay} conversations per user per day (resets at 00:00 UTC)`, {
        limit: 'llm_daily_conversations',
        limit_per_day: this.perDay,
        retry_after_seconds: retryAfter,
      });
    }
  }
}
