import { createHash } from 'node:crypto';
import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { keyPart, MnemoError, redisKey } from '@mnemo/core';

/** Characters of a presented key that group guesses at one key. */
const KEY_PREFIX_CHARS = 12;

/**
 * Failed authentication, counted per client address and per presented key
 * prefix in Redis (shared by every API process). Past `perMinute` failures
 * either one is refused with 429 before its key is even looked at, so a
 * right guess looks like a wrong one until the minute is over. The prefix
 * is kept only as a hash: a mistyped real key never lands in Redis.
 */
export class AuthFailureThrottle {
  private readonly byAddress: RateLimiterRedis | null;
  private readonly byKeyPrefix: RateLimiterRedis | null;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly perMinute: number,
  ) {
    const limiter = (what: string) =>
      perMinute > 0 ? new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKey(prefix, 'authFailures', what), points: perMinute, duration: 60 }) : null;
    this.byAddress = limiter('ip');
    this.byKeyPrefix = limiter('key');
  }

  private subjects(ip: string | undefined, key: string | undefined): [RateLimiterRedis, string][] {
    const subjects: [RateLimiterRedis, string][] = [];
    // The address may come from X-Forwarded-For: a client's text, so one escaped segment.
    if (this.byAddress) subjects.push([this.byAddress, keyPart(ip ?? 'unknown')]);
    if (this.byKeyPrefix && key) subjects.push([this.byKeyPrefix, createHash('sha256').update(key.slice(0, KEY_PREFIX_CHARS)).digest('hex').slice(0, 32)]);
    return subjects;
  }

  /** Throws RATE_LIMIT_EXCEEDED (and sets Retry-After) when the address or the key prefix has failed too often. */
  async assertAllowed(res: Response, ip: string | undefined, key: string | undefined): Promise<void> {
    // Both subjects read at once: one round trip per request, not one each.
    const states = await Promise.all(this.subjects(ip, key).map(([limiter, subject]) => limiter.get(subject)));
    for (const state of states) {
      if (!state || state.consumedPoints < this.perMinute) continue;
      const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new MnemoError('RATE_LIMIT_EXCEEDED', `Too many failed authentication attempts; retry after ${retryAfter} s`, {
        limit: 'auth_failures',
        limit_per_minute: this.perMinute,
        retry_after_seconds: retryAfter,
      });
    }
  }

  /** Counts one failed attempt against the address and the key prefix. */
  async failed(ip: string | undefined, key: string | undefined): Promise<void> {
    for (const [limiter, subject] of this.subjects(ip, key)) {
      try {
        await limiter.consume(subject);
      } catch (rejection) {
        // Over the limit already: the next assertAllowed refuses; anything else (Redis down) is the request's error.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
      }
    }
  }
}
