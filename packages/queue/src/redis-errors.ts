/** True for errors that mean "Redis is not there right now" rather than a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'RedisUnavailableError') return true;
  // The last three are a Redis Cluster's: no seed node answers, or a slot has no master during a failover.
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Stream isn't writeable|connect ETIMEDOUT|None of startup nodes|Failed to refresh slots cache|CLUSTERDOWN/i.test(
    err.message,
  );
}

/** Thrown instead of waiting when the connection is not up; maps to 503. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * BullMQ awaits a connection that never came up instead of failing, so
 * callers that must answer quickly check first.
 */
export function assertRedisReady(redis: { status: string }): void {
  if (redis.status !== 'ready') throw new RedisUnavailableError(`Redis connection is ${redis.status}`);
}

/**
 * Runs a MULTI and fails if any command in it failed: ioredis resolves
 * `exec()` with an error per command (WRONGTYPE, OOM) instead of rejecting,
 * so a caller awaiting it would never hear of the failure.
 */
export async function execAll(tx: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const rows = await tx.exec();
  if (rows === null) throw new Error('Redis transaction was aborted');
  const failed = rows.find(([err]) => err);
  if (failed) throw failed[0];
  return rows.map(([, value]) => value);
}
