import type { Redis } from 'ioredis';
import type { BootstrapKey, KeyRole } from '@mnemo/core';
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
export class ApiKeyRepository {
  private readonly bootstrap: { hash: string; principal: Principal }[];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    bootstrapKeys: BootstrapKey[] = [],
  ) {
    this.bootstrap = bootstrapKeys.map(({ key, userId, role }) => {
      const hash = hashKey(key);
      return { hash, principal: { keyId: `env-${keyIdOf(hash)}`, userId, role } };
    });
  }

  private keyOf(hash: string): string {
    return `${this.prefix}:apikey:${hash}`;
  }

  private get indexKey(): string {
    return `${this.prefix}:apikeys`;
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
  async verify(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    const fromEnv = this.bootstrap.find((b) => sameHash(b.hash, hash));
    if (fromEnv) return fromEnv.principal;
    const fields = await this.redis.hgetall(this.keyOf(hash));
    if (!fields.user_id || fields.revoked_at) return null;
    return { keyId: fields.key_id ?? keyIdOf(hash), userId: fields.user_id, role: fields.role as KeyRole };
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
    return true;
  }
}
