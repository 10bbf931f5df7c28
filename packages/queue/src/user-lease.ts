import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyPart, redisKey } from '@mnemo/core';

/**
 * Lease on one user's memories, held by one job at a time across every
 * worker process. Taking the lease also draws a fencing token: a number
 * larger than any earlier holder's, which the store uses to refuse a write
 * from a holder whose lease ran out while it was paused.
 *
 * Written here rather than taken from a Redlock library: those give the
 * lease and renewal but no fencing token, and on a single Redis the lease
 * is one SET NX PX. The token is max(last + 1, Redis time in µs), so it
 * keeps growing even if Redis loses it (microseconds: two leases taken in
 * the same millisecond after such a loss still get different tokens).
 */

const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local token = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, now)
  redis.call('SET', KEYS[2], string.format('%d', token), 'PX', ARGV[3])
  return token
end
return 0`;

const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The last token outlives its leases by a day; after that, Redis time alone keeps tokens growing. */
const TOKEN_TTL_MS = 24 * 3600 * 1000;
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 100;

export interface Lease {
  /** Fencing token: larger than every earlier holder's. */
  token: number;
  /** Throws if the lease has been lost (expired and taken by another job). */
  assertHeld(): Promise<void>;
}

/** No lease within the wait bound: the job fails this attempt and retries with backoff. */
export class LeaseUnavailableError extends Error {
  override name = 'LeaseUnavailableError';
}

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

interface LeaseCommands {
  mnemoAcquireLease(lease: string, fence: string, owner: string, leaseMs: number, tokenTtlMs: number): Promise<number>;
  mnemoExtendLease(lease: string, owner: string, leaseMs: number): Promise<number>;
  mnemoReleaseLease(lease: string, owner: string): Promise<number>;
}

export interface UserLeaseOptions {
  leaseMs: number;
  waitMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RedisUserLease {
  private readonly redis: Redis & LeaseCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly options: UserLeaseOptions,
  ) {
    redis.defineCommand('mnemoAcquireLease', { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand('mnemoExtendLease', { numberOfKeys: 1, lua: EXTEND });
    redis.defineCommand('mnemoReleaseLease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as Redis & LeaseCommands;
  }

  private keys(userId: string) {
    return { lease: redisKey(this.prefix, 'userLease', keyPart(userId)), fence: redisKey(this.prefix, 'userFence', keyPart(userId)) };
  }

  /** Runs `fn` holding the user's lease, renewing it every third of its length, and releases it after. */
  async withLease<T>(userId: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const { leaseMs, waitMs } = this.options;
    const keys = this.keys(userId);
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    let delay = FIRST_RETRY_MS;
    let token = 0;
    while ((token = await this.redis.mnemoAcquireLease(keys.lease, keys.fence, owner, leaseMs, TOKEN_TTL_MS)) === 0) {
      if (Date.now() >= deadline) {
        throw new LeaseUnavailableError(`another job held user ${userId}'s memories for more than ${waitMs} ms`);
      }
      // Jittered backoff: waiting jobs of one user do not retry in step.
      await sleep(delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }

    let lost: Error | null = null;
    const renewal = setInterval(() => {
      this.redis.mnemoExtendLease(keys.lease, owner, leaseMs).then(
        (ok) => {
          if (ok === 0) lost ??= new LeaseLostError(`the lease on user ${userId}'s memories expired and was taken`);
        },
        // A failed renewal is not yet a lost lease; assertHeld asks Redis before anything is written.
        () => undefined,
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
    renewal.unref();

    const lease: Lease = {
      token,
      assertHeld: async () => {
        if (lost) throw lost;
        if ((await this.redis.get(keys.lease)) !== owner) {
          throw new LeaseLostError(`the lease on user ${userId}'s memories expired and was taken`);
        }
      },
    };
    try {
      return await fn(lease);
    } finally {
      clearInterval(renewal);
      // Best effort: an unreleased lease expires by itself.
      await this.redis.mnemoReleaseLease(keys.lease, owner).catch(() => undefined);
    }
  }
}
