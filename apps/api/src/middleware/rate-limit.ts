import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { keyPart, MnemoError, redisKey, type Config } from '@mnemo/core';
import { principalOf } from './authenticate';

/** The limited kinds of request, and which one a request is. */
export const RATE_POLICIES = ['store', 'search', 'batch', 'read', 'write'] as const;
export type RatePolicy = (typeof RATE_POLICIES)[number];

/**
 * The route a path reaches, spelled one way. Express matches routes
 * case-insensitively and with or without a trailing slash, so /V1/memories/
 * reaches POST /v1/memories: it must be counted in that route's budget.
 */
export function routeKey(path: string): string {
  return path.toLowerCase().replace(/(.)\/+$/, '$1');
}

export function policyOf(req: Request): RatePolicy {
  const path = routeKey(req.baseUrl + req.path);
  if (req.method === 'POST' && path === '/v1/memories') return 'store';
  if (req.method === 'POST' && path === '/v1/memories/search') return 'search';
  if (req.method === 'POST' && path === '/v1/memories/batch') return 'batch';
  if (req.method === 'GET' || req.method === 'HEAD') return 'read';
  return 'write';
}

const limits = (config: Config): Record<RatePolicy, number> => ({
  store: config.MNEMO_RATE_LIMIT_STORE,
  search: config.MNEMO_RATE_LIMIT_SEARCH,
  batch: config.MNEMO_RATE_LIMIT_BATCH,
  read: config.MNEMO_RATE_LIMIT_READ,
  write: config.MNEMO_RATE_LIMIT_WRITE,
});

/**
 * The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers):
 * the policy (quota q per window w seconds) and what is left (r) until
 * the window resets (t seconds). MemSync clients read the older
 * X-RateLimit-* triple instead; it carries the same numbers, with the reset
 * as a Unix time in seconds (the common reading, GitHub's among others; MemSync's
 * published docs do not define it), so both sets always agree.
 */
function setHeaders(res: Response, policy: RatePolicy, quota: number, remaining: number, resetMs: number, now = Date.now()): void {
  const left = Math.max(0, remaining);
  const resetSeconds = Math.ceil(resetMs / 1000);
  res.setHeader('RateLimit-Policy', `"${policy}";q=${quota};w=60`);
  res.setHeader('RateLimit', `"${policy}";r=${left};t=${resetSeconds}`);
  res.setHeader('X-RateLimit-Limit', String(quota));
  res.setHeader('X-RateLimit-Remaining', String(left));
  res.setHeader('X-RateLimit-Reset', String(Math.floor(now / 1000) + resetSeconds));
}

/**
 * Per-user request budgets per minute, one per kind of request, counted in
 * Redis so every API process shares them. Over budget: 429
 * RATE_LIMIT_EXCEEDED with Retry-After. Runs after authentication; the
 * budget belongs to the user whose key is used.
 */
export function rateLimits(redis: Redis, prefix: string, config: Config): RequestHandler {
  const quotas = limits(config);
  const limiters = Object.fromEntries(
    RATE_POLICIES.filter((p) => quotas[p] > 0).map((p) => [p, new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKey(prefix, 'rate', p), points: quotas[p], duration: 60 })]),
  ) as Partial<Record<RatePolicy, RateLimiterRedis>>;

  return async (req, res, next) => {
    const policy = policyOf(req);
    const limiter = limiters[policy];
    const storeLimiter = policy === 'batch' ? limiters.store : undefined;
    if (!limiter && !storeLimiter) return next();
    const { userId } = principalOf(res.locals);
    try {
      // A batch carries conversations like POST /v1/memories: while its user is over the store budget, it waits too.
      const store = await storeLimiter?.get(keyPart(userId));
      if (store && store.consumedPoints >= quotas.store) return refuse(res, next, 'store', store);
      if (!limiter) return next();
      const state = await limiter.consume(keyPart(userId));
      setHeaders(res, policy, quotas[policy], state.remainingPoints, state.msBeforeNext);
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      refuse(res, next, policy, rejection);
    }
  };

  function refuse(res: Response, next: (err: unknown) => void, policy: RatePolicy, state: RateLimiterRes): void {
    setHeaders(res, policy, quotas[policy], 0, state.msBeforeNext);
    const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    res.setHeader('Retry-After', String(retryAfter));
    next(
      new MnemoError('RATE_LIMIT_EXCEEDED', `Too many ${policy} requests: ${quotas[policy]} per minute; retry after ${retryAfter} s`, {
        policy,
        limit_per_minute: quotas[policy],
        retry_after_seconds: retryAfter,
      }),
    );
  }
}
