import { Redis, type RedisOptions } from 'ioredis';
import type { Config, Logger } from '@mnemo/core';

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

/** Where Redis is: a URL, or a primary found through Sentinels (the URL then gives credentials and db only). */
export interface RedisTarget {
  url: string;
  sentinels: { host: string; port: number }[];
  sentinelMaster: string;
  sentinelPassword?: string;
}

export function redisTarget(config: Pick<Config, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_SENTINEL_PASSWORD'>): RedisTarget {
  return { url: config.REDIS_URL, sentinels: config.REDIS_SENTINELS, sentinelMaster: config.REDIS_SENTINEL_MASTER, sentinelPassword: config.REDIS_SENTINEL_PASSWORD };
}

/** The target in words for messages, credentials hidden. */
export function describeRedisTarget(target: RedisTarget | string): string {
  if (typeof target === 'string' || target.sentinels.length === 0) return (typeof target === 'string' ? target : target.url).replace(/\/\/[^@/]*@/, '//***@');
  return `Sentinel master "${target.sentinelMaster}" via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')} (REDIS_SENTINELS)`;
}

export function createRedis(target: RedisTarget | string, kind: ConnectionKind, name = 'mnemo'): Redis {
  const options: RedisOptions =
    kind === 'command'
      ? // Auto-pipelining sends the commands of concurrent requests in one write: fewer syscalls under load.
        { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, connectionName: name, enableAutoPipelining: true }
      : { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name };
  // Reconnect quickly at first, then every 2 s at most.
  options.retryStrategy = (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000);
  // After a failover a connection may still reach the demoted primary, now a read-only replica:
  // reconnecting asks the Sentinels (or DNS) for the new primary.
  options.reconnectOnError = (err) => err.message.startsWith('READONLY');
  if (typeof target === 'string' || target.sentinels.length === 0) return new Redis(typeof target === 'string' ? target : target.url, options);
  const url = new URL(target.url);
  return new Redis({
    ...options,
    sentinels: target.sentinels,
    name: target.sentinelMaster,
    sentinelPassword: target.sentinelPassword,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...(url.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    // Sentinels are asked again on every reconnect, quickly: a failover takes seconds.
    sentinelRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 4), 1_000),
  });
}

/** Resolves once the connection is ready, or rejects with advice on getting a Redis. */
export async function waitForRedis(redis: Redis, target: RedisTarget | string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(redisUnreachableMessage(target)));
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

export function redisUnreachableMessage(target: RedisTarget | string): string {
  const sentinel = typeof target !== 'string' && target.sentinels.length > 0;
  return [
    `Redis is not reachable at ${describeRedisTarget(target)}${sentinel ? '' : ' (REDIS_URL)'}.`,
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
