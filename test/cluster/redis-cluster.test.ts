import type { Cluster, Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '@mnemo/core';
import { clusterMasters, keysUnderPrefix, unlinkKeys } from '@mnemo/queue';
import { eventually } from '../support/eventually';
import { deletePrefix, testRedis, testRedisCluster, uniquePrefix } from '../support/redis';
import { MEMSYNC_EXAMPLE, startStack, USER_KEY, type Stack } from '../support/stack';

/** What only a cluster shows: the suite is really on one, every key of mnemo shares a slot, reset sees every master. */
describe('on a Redis Cluster', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = testRedis('cluster-check');
  });
  afterAll(() => redis.disconnect());

  it('runs on three masters', async () => {
    expect(testRedisCluster()).not.toBe('');
    await eventually(() => (redis as unknown as Cluster).status === 'ready');
    expect(clusterMasters(redis)).toHaveLength(3);
  });

  it('refuses at start-up a prefix without a hash tag, naming the fix', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: testRedisCluster(), MNEMO_QUEUE_PREFIX: 'mnemo' })).toThrow(/MNEMO_QUEUE_PREFIX=\{mnemo\}/);
  });

  it('keeps every key of a deployment in the one slot of its prefix', async () => {
    const stack: Stack = await startStack();
    try {
      await stack.startWorker();
      const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(MEMSYNC_EXAMPLE);
      expect(stored.status).toBe(200);
      const found = await request(stack.app).post('/v1/memories/search').set('X-API-Key', USER_KEY).send({ query: 'Spotify' });
      expect(found.status).toBe(200);
      expect(found.body.memories.length).toBeGreaterThan(0);
      const keys = await keysUnderPrefix(redis, stack.config.MNEMO_QUEUE_PREFIX);
      // Queues, API keys, leases, stats, the backlog and rate limits at least.
      expect(keys.length).toBeGreaterThan(10);
      const slots = new Set(await Promise.all(keys.map((key) => redis.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('finds and deletes keys on every master, as mnemo reset does', async () => {
    // No hash tag here on purpose, so the keys spread over the masters.
    const prefix = uniquePrefix('scan').replace(/[{}]/g, '');
    try {
      await Promise.all(Array.from({ length: 60 }, (_, i) => redis.set(`${prefix}:k${i}`, '1')));
      const perMaster = await Promise.all(clusterMasters(redis).map((node) => node.dbsize()));
      expect(perMaster.filter((n) => n > 0).length).toBeGreaterThan(1);
      const keys = await keysUnderPrefix(redis, prefix);
      expect(keys).toHaveLength(60);
      await unlinkKeys(redis, keys);
      expect(await keysUnderPrefix(redis, prefix)).toHaveLength(0);
    } finally {
      await deletePrefix(prefix);
    }
  });
});
