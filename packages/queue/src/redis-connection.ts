import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@mnemo/core';

/**
 * Two kinds of connection, because BullMQ needs them to behave differently:
 * - `command`: used by the API to enqueue and read jobs. No offline queue and
 *   one retry, so a request fails fast with 503 while Redis is away instead
 *   of hanging until the client gives up.
 * - `blocking`: used by workers and queue events. Retries forever
 *   (maxRetriesPerRequest: null, which BullMQ requires) so they ride out a
 *   Redis restart and resume by themselves.
 */
export type ConnectionKind = 'command' | 'blocking';

export function createRedis(url: string, kind: ConnectionKind, name = 'mnemo'): Redis {
  const options: RedisOptions =
    kind === 'command'
      ? // Auto-pipelining sends the commands of concurrent requests in one write: fewer syscalls under load.
        { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, connectionName: name, enableAutoPipelining: true }
      : { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name };
  // Reconnect quickly at first, then every 2 s at most.
  options.retryStrategy = (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000);
  return new Redis(url, options);
}

/** Resolves once the connection is ready, or rejects with advice on getting a Redis. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(redisUnreachableMessage(url)));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

export function redisUnreachableMessage(url: string): string {
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  return [
    `Redis is not reachable at ${shown} (REDIS_URL).`,
    'mnemo keeps its queues in Redis. Start one with either:',
    '  docker compose up -d redis',
    '  sudo apt-get install -y redis-server && redis-server --daemonize yes',
    'or point REDIS_URL at an existing server.',
  ].join('\n');
}

/**
 * Tells operators once when a connection loses Redis and once when it is
 * back, instead of a line per reconnect attempt (or none at all).
 */
export function reportConnection(redis: Pick<Redis, 'on'>, logger: Pick<Logger, 'warn' | 'info'>, name: string): void {
  let healthy = true;
  redis.on('error', (err: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn('Redis unreachable; reconnecting', { connection: name, error: err.message });
  });
  redis.on('ready', () => {
    if (healthy) return;
    healthy = true;
    logger.info('Redis reachable again', { connection: name });
  });
}

/**
 * BullMQ needs Redis to keep every key: under an eviction policy, a full
 * Redis silently drops queued jobs. Warns at start-up, or refuses to start
 * when `strict`. A Redis that hides CONFIG (some managed services) is
 * trusted, with a note.
 */
export async function checkEvictionPolicy(redis: Redis, logger: Pick<Logger, 'warn' | 'info'>, strict: boolean): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    logger.info('could not read Redis maxmemory-policy (CONFIG is not allowed); make sure it is noeviction');
    return;
  }
  if (!policy || policy === 'noeviction') return;
  const message = `Redis maxmemory-policy is ${policy}: when Redis is full it will evict queued jobs. Set it to noeviction (redis-server --maxmemory-policy noeviction).`;
  if (strict) throw new Error(`${message} Refusing to start (MNEMO_REQUIRE_NOEVICTION=true).`);
  logger.warn(message);
}
