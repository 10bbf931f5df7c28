import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, keysUnderPrefix, type RedisTarget } from '@mnemo/queue';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * MNEMO_TEST_REDIS_CLUSTER=host:port,… (set by the cluster suite) points the
 * helpers at a Redis Cluster: stacks get REDIS_CLUSTER_NODES and prefixes
 * become hash tags, as a cluster deployment must use.
 */
export function testRedisCluster(): string {
  return process.env.MNEMO_TEST_REDIS_CLUSTER ?? '';
}

/** A queue prefix no other test uses, so tests never see each other's jobs or keys. */
export function uniquePrefix(label = 'test'): string {
  const name = `mnemo-${label}-${randomUUID().slice(0, 8)}`;
  return testRedisCluster() ? `{${name}}` : name;
}

/** The environment that points a stack at the test Redis (or cluster). */
export function testRedisEnv(): Record<string, string> {
  const nodes = testRedisCluster();
  return nodes ? { REDIS_URL: TEST_REDIS_URL, REDIS_CLUSTER_NODES: nodes } : { REDIS_URL: TEST_REDIS_URL };
}

function testTarget(url: string): RedisTarget | string {
  const nodes = testRedisCluster();
  if (!nodes) return url;
  const clusterNodes = nodes.split(',').map((entry) => {
    const [host, port] = entry.split(':');
    return { host: host!, port: Number(port) };
  });
  return { url, sentinels: [], sentinelMaster: 'mymaster', clusterNodes };
}

/** A connection to the test Redis (or cluster) for tests that talk to Redis directly; disconnect it after. */
export function testRedis(name = 'test'): Redis {
  return createRedis(testTarget(TEST_REDIS_URL), 'blocking', name);
}

/** Deletes every key under the prefix (on every master of a cluster). */
export async function deletePrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = createRedis(testTarget(url), 'blocking', 'test-cleanup');
  try {
    const keys = await keysUnderPrefix(redis, prefix);
    // One key a command: on a cluster a stray key may sit in another slot.
    await Promise.all(keys.map((key) => redis.unlink(key)));
  } finally {
    redis.disconnect();
  }
}
