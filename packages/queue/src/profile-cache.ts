import type { Redis } from 'ioredis';

/**
 * The latest built profile of each user, in Redis. Derived data: losing it
 * costs one rebuild, so it lives beside the queues rather than in the memory store.
 */
export class ProfileCache<T> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(userId: string): string {
    return `${this.prefix}:profile:${userId}`;
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
