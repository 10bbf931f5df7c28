import { Cluster, Redis, type RedisOptions } from 'ioredis';
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

/**
 * Where Redis is: a URL, a primary found through Sentinels, or a Redis
 * Cluster found from seed nodes (with either of the last two, the URL gives
 * credentials, and for Sentinels the db, only).
 */
export interface RedisTarget {
  url: string;
  sentinels: { host: string; port: number }[];
  sentinelMaster: string;
  sentinelPassword?: string;
  clusterNodes?: { host: string; port: number }[];
}

export function redisTarget(
  config: Pick<Config, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_SENTINEL_PASSWORD' | 'REDIS_CLUSTER_NODES'>,
): RedisTarget {
  return {
    url: config.REDIS_URL,
    sentinels: config.REDIS_SENTINELS,
    sentinelMaster: config.REDIS_SENTINEL_MASTER,
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    clusterNodes: config.REDIS_CLUSTER_NODES,
  };
}

function isCluster(target: RedisTarget | string): target is RedisTarget & { clusterNodes: { host: string; port: number }[] } {
  return typeof target !== 'string' && (target.clusterNodes?.length ?? 0) > 0;
}

/** The target in words for messages, credentials hidden. */
export function describeRedisTarget(target: RedisTarget | string): string {
  if (isCluster(target)) return `Redis Cluster via ${target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`;
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
  if (isCluster(target)) return createCluster(target, options);
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

/**
 * An ioredis Cluster, typed as Redis: it has the same command methods,
 * which is all mnemo's adapters and BullMQ use (code that needs every node,
 * such as SCAN, asks `clusterMasters`). Offline queue and retries as for one
 * Redis, set both on the cluster and on each node's connection.
 */
function createCluster(target: RedisTarget & { clusterNodes: { host: string; port: number }[] }, options: RedisOptions): Redis {
  const url = new URL(target.url);
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...nodeOptions } = options;
  const cluster = new Cluster(target.clusterNodes, {
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableAutoPipelining: enableAutoPipelining ?? false,
    enableReadyCheck: true,
    clusterRetryStrategy: retryStrategy,
    redisOptions: {
      ...nodeOptions,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
  return cluster as unknown as Redis;
}

/** The masters to ask when a command must see every key (SCAN): each master of a Cluster, else the connection itself. */
export function clusterMasters(redis: Redis): Redis[] {
  const maybe = redis as unknown as Partial<Cluster>;
  return maybe.isCluster && maybe.nodes ? maybe.nodes('master') : [redis];
}

/**
 * The connection to the master holding `key`'s slot on a Cluster, else the
 * connection itself. WAIT and INFO replication name no key, so a Cluster
 * would send them to any node: they must reach the one that took the writes.
 */
export async function nodeHolding(redis: Redis, key: string): Promise<Redis> {
  const cluster = redis as unknown as Partial<Cluster>;
  if (!cluster.isCluster || !cluster.nodes || !cluster.slots) return redis;
  const slot = Number(await redis.cluster('KEYSLOT', key));
  const owner = cluster.slots[slot]?.[0];
  const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node) throw new Error(`no connected master holds slot ${slot} (owner ${owner ?? 'unknown'}) of key ${key}`);
  return node;
}

/** Every key under `<prefix>:`, from every master on a Cluster. */
export async function keysUnderPrefix(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of clusterMasters(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * Unlinks keys in batches. On a Cluster one UNLINK may only name keys of one
 * slot: mnemo's own keys share the prefix's hash tag, but a reset may meet
 * strays, so there each key goes alone.
 */
export async function unlinkKeys(redis: Redis, keys: string[]): Promise<void> {
  const cluster = (redis as unknown as Partial<Cluster>).isCluster === true;
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    if (cluster) await Promise.all(batch.map((key) => redis.unlink(key)));
    else await redis.unlink(...batch);
  }
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
  const named = typeof target !== 'string' && (target.sentinels.length > 0 || isCluster(target));
  return [
    `Redis is not reachable at ${describeRedisTarget(target)}${named ? '' : ' (REDIS_URL)'}.`,
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
