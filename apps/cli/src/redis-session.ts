import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '@mnemo/core';
import { createRedis, redisTarget, waitForRedis } from '@mnemo/queue';

/**
 * Runs one CLI command against the configured Redis, then disconnects.
 * An unreachable Redis ends the command with waitForRedis's advice, so the
 * client's own reconnect errors are not printed as well.
 */
export async function withRedis<T>(fn: (redis: Redis, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = createRedis(redisTarget(config), 'command', 'mnemo-cli');
  redis.on('error', () => undefined);
  try {
    await waitForRedis(redis, redisTarget(config), 5_000);
    return await fn(redis, config);
  } finally {
    redis.disconnect();
  }
}
