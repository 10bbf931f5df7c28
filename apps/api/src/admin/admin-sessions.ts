import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKey } from '@mnemo/core';

/**
 * Dashboard logins, in Redis so every API process honours them and a
 * restart logs nobody out. The cookie holds only a random token.
 */
export class AdminSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(token: string): string {
    return redisKey(this.prefix, 'adminSession', token);
  }

  /** Starts a session for an admin key; returns the cookie value. */
  async start(keyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(token), keyId, 'EX', this.ttlSeconds);
    return token;
  }

  /** The admin key id of a live session, or null. */
  async keyIdOf(token: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    return this.redis.get(this.key(token));
  }

  async end(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }
}
