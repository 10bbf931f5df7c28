import type { Redis } from 'ioredis';
import { redisKey, type BootstrapKey, type KeyRole } from '@mnemo/core';
import { generateKey, hashKey, keyIdOf, sameHash } from './api-key';
import type { Principal } from './principal';

export interface StoredKey {
  key_id: string;
  user_id: string;
  role: KeyRole;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

/**
 * API keys in Redis, stored only as SHA-256 hashes:
 *   <prefix>:apikey:<hash>  hash of StoredKey fields
 *   <prefix>:apikeys        hash key_id -> key hash, for listing and revoking by id
 * Keys from MNEMO_API_KEYS (development, tests) are checked in memory first.
 */
/** How long a verified (or refused) key is remembered, and how many are. */
export const VERIFY_CACHE_MS = 5_000;
const VERIFY_CACHE_SIZE = 10_000;

export class ApiKeyRepository {
  private readonly verified = new Map<string, { principal: Principal | null; until: number }>();
  /** The same, by key id: for dashboard sessions, which hold the id of the key that opened them. */
  private readonly verifiedIds = new Map<string, { principal: Principal | null; until: number }>();

  private readonly bootstrap: { hash: string; principal: Principal }[];

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    bootstrapKeys: BootstrapKey[] = [],
  ) {
    this.bootstrap = bootstrapKeys.map(({ key, userId, role }) => {
      const hash = hashKey(key);
      return { hash, principal: { keyId: `env-${keyIdOf(hash)}`, userId, role } };
    });
  }

  private keyOf(hash: string): string {
    return redisKey(this.prefix, 'apiKey', hash);
  }

  private get indexKey(): string {
    return redisKey(this.prefix, 'apiKeyIndex');
  }

  /** Creates a key and returns it in clear text: the only time it is ever visible. */
  async create(userId: string, role: KeyRole, label = ''): Promise<{ key: string; stored: StoredKey }> {
    const key = generateKey();
    const hash = hashKey(key);
    const stored: StoredKey = {
      key_id: keyIdOf(hash),
      user_id: userId,
      role,
      label,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await this.redis
      .multi()
      .hset(this.keyOf(hash), { ...stored, revoked_at: '' })
      .hset(this.indexKey, stored.key_id, hash)
      .exec();
    return { key, stored };
  }

  /** The principal for a presented key, or null when it is unknown or revoked. */
  /**
   * The key's principal, or null. Answers are remembered for VERIFY_CACHE_MS
   * (by hash), saving a Redis round trip on every request; so a revoked key
   * stops working within that time, on every API process.
   */
  async verify(key: string, now = Date.now()): Promise<Principal | null> {
    const hash = hashKey(key);
    const fromEnv = this.bootstrap.find((b) => sameHash(b.hash, hash));
    if (fromEnv) return fromEnv.principal;
    const cached = this.verified.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const fields = await this.redis.hgetall(this.keyOf(hash));
    const principal = !fields.user_id || fields.revoked_at ? null : { keyId: fields.key_id ?? keyIdOf(hash), userId: fields.user_id, role: fields.role as KeyRole };
    if (this.verified.size >= VERIFY_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(hash, { principal, until: now + VERIFY_CACHE_MS });
    return principal;
  }

  /**
   * The principal of a key known by its id, or null once it is revoked or
   * gone: a session opened with a key lives only as long as the key does.
   * Remembered for VERIFY_CACHE_MS like `verify`, so it ends within the
   * same window on every API process.
   */
  async verifyId(keyId: string, now = Date.now()): Promise<Principal | null> {
    const fromEnv = this.bootstrap.find((b) => b.principal.keyId === keyId);
    if (fromEnv) return fromEnv.principal;
    const cached = this.verifiedIds.get(keyId);
    if (cached && cached.until > now) return cached.principal;
    const hash = await this.redis.hget(this.indexKey, keyId);
    const fields = hash ? await this.redis.hgetall(this.keyOf(hash)) : {};
    const principal = !fields.user_id || fields.revoked_at ? null : { keyId, userId: fields.user_id, role: fields.role as KeyRole };
    if (this.verifiedIds.size >= VERIFY_CACHE_SIZE) this.verifiedIds.delete(this.verifiedIds.keys().next().value!);
    this.verifiedIds.set(keyId, { principal, until: now + VERIFY_CACHE_MS });
    return principal;
  }

  async list(): Promise<StoredKey[]> {
    const index = await this.redis.hgetall(this.indexKey);
    const keys = await Promise.all(
      Object.values(index).map(async (hash) => {
        const f = await this.redis.hgetall(this.keyOf(hash));
        if (!f.user_id) return null;
        return {
          key_id: f.key_id ?? keyIdOf(hash),
          user_id: f.user_id,
          role: f.role as KeyRole,
          label: f.label ?? '',
          created_at: f.created_at ?? '',
          revoked_at: f.revoked_at || null,
        } satisfies StoredKey;
      }),
    );
    return keys.filter((k): k is StoredKey => k !== null).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Revokes by key id; false when no such key exists. */
  async revoke(keyId: string): Promise<boolean> {
    const hash = await this.redis.hget(this.indexKey, keyId);
    if (!hash) return false;
    await this.redis.hset(this.keyOf(hash), 'revoked_at', new Date().toISOString());
    // At once in this process; other API processes within VERIFY_CACHE_MS.
    this.verified.delete(hash);
    this.verifiedIds.delete(keyId);
    return true;
  }
}
