import type { Redis } from 'ioredis';
import { keyPart, redisKey } from '@mnemo/core';

/**
 * The latest built profile of each user, in Redis. Derived data: losing it
 * costs one rebuild, so it lives beside the queues rather than in the memory
 * store, in its own key family: never under the `profile` queue's keys,
 * where user "meta" or "1" would overwrite the queue's meta hash or job 1.
 */
export class ProfileCache<T> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(userId: string): string {
    return redisKey(this.prefix, 'profileCache', keyPart(userId));
  }

  async get(userId: string): Promise<T | null> {
    const raw = await this.redis.get(this.key(userId));
    return raw ? (JSON.parse(raw) as T) : null;
  }

  async set(userId: string, profile: T): Promise<void> {
    await this.redis.set(this.key(userId), JSON.stringify(profile));
  }

  /** Erasure: true when there was a profile to remove. */
  async delete(userId: string): Promise<boolean> {
    return (await this.redis.del(this.key(userId))) > 0;
  }
}
