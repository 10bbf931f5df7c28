import type { Redis } from 'ioredis';
import { ApiKeyRepository, hashKey } from '@mnemo/auth';
import { keysUnderPrefix } from '@mnemo/queue';
import { deletePrefix, testRedis, uniquePrefix } from '../support/redis';

describe('ApiKeyRepository', () => {
  const prefix = uniquePrefix('keys');
  let redis: Redis;
  let repo: ApiKeyRepository;

  beforeAll(() => {
    redis = testRedis('keys');
    repo = new ApiKeyRepository(redis, prefix, [{ key: 'dev-key', userId: 'dev', role: 'service' }]);
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('creates a key that verifies to its user, and stores only its hash', async () => {
    const { key, stored } = await repo.create('alice', 'user', 'laptop');
    expect(key).toMatch(/^mnemo_[A-Za-z0-9_-]{32}$/);
    expect(await repo.verify(key)).toEqual({ keyId: stored.key_id, userId: 'alice', role: 'user' });

    const keys = await keysUnderPrefix(redis, prefix);
    const dump = (await Promise.all(keys.map((k) => redis.hgetall(k)))).map((h) => JSON.stringify(h)).join('');
    expect(dump).not.toContain(key);
    expect(keys).toContain(`${prefix}:apikey:${hashKey(key)}`);
  });

  it('refuses unknown and revoked keys', async () => {
    const { key, stored } = await repo.create('bob', 'user');
    expect(await repo.verify('mnemo_unknown')).toBeNull();
    expect(await repo.revoke(stored.key_id)).toBe(true);
    expect(await repo.verify(key)).toBeNull();
    expect(await repo.revoke('nosuchkeyid')).toBe(false);
    const listed = (await repo.list()).find((k) => k.key_id === stored.key_id);
    expect(listed?.revoked_at).toEqual(expect.any(String));
  });

  it('remembers verified keys briefly: another process sees a revocation within 5 s', async () => {
    const { key, stored } = await repo.create('carol', 'user');
    const other = new ApiKeyRepository(redis, prefix, []);
    const now = Date.now();
    expect(await other.verify(key, now)).toMatchObject({ userId: 'carol' });
    await repo.revoke(stored.key_id);
    expect(await repo.verify(key, now)).toBeNull();
    expect(await other.verify(key, now + 1_000)).toMatchObject({ userId: 'carol' });
    expect(await other.verify(key, now + 5_001)).toBeNull();
  });

  it('accepts bootstrap keys from the environment', async () => {
    expect(await repo.verify('dev-key')).toMatchObject({ userId: 'dev', role: 'service' });
  });
});
