import type { Redis } from 'ioredis';
import type { Backlog } from '@mnemo/core';

/**
 * What waits in the ingest queue, per user, in jobs and bytes: the figures
 * backpressure judges on. A job is counted from when it is accepted until a
 * worker starts it. Both moves are idempotent per job id (a job counted
 * twice or uncounted twice changes nothing), so a retried request or a
 * job started again after a crash never skews the figures.
 *
 * Users and job ids are hash fields under mnemo's own `ingest-backlog`
 * keys, never part of a key name.
 */
const ADD = `
local added = 0
for i = 1, #ARGV, 3 do
  local id, user, bytes = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if redis.call('HSETNX', KEYS[1], id, user) == 1 then
    redis.call('HSET', KEYS[2], id, bytes)
    redis.call('HINCRBY', KEYS[3], user, 1)
    redis.call('HINCRBY', KEYS[4], user, bytes)
    redis.call('HINCRBY', KEYS[5], 'jobs', 1)
    redis.call('HINCRBY', KEYS[5], 'bytes', bytes)
    added = added + 1
  end
end
return added`;

/**
 * ADD for the jobs whose key (KEYS[5 + i]) does not exist yet, in the same
 * round trip that tells which exist: a known job (a duplicate, a failed one
 * to replace) is not counted here, a new one is.
 */
const ADD_UNLESS_QUEUED = `
local known = {}
for i = 1, #ARGV, 3 do
  local n = (i + 2) / 3
  if redis.call('EXISTS', KEYS[5 + n]) == 1 then
    known[n] = 1
  else
    known[n] = 0
    local id, user, bytes = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    if redis.call('HSETNX', KEYS[1], id, user) == 1 then
      redis.call('HSET', KEYS[2], id, bytes)
      redis.call('HINCRBY', KEYS[3], user, 1)
      redis.call('HINCRBY', KEYS[4], user, bytes)
      redis.call('HINCRBY', KEYS[5], 'jobs', 1)
      redis.call('HINCRBY', KEYS[5], 'bytes', bytes)
    end
  end
end
return known`;

const REMOVE = `
local removed = 0
for i = 1, #ARGV do
  local id = ARGV[i]
  local user = redis.call('HGET', KEYS[1], id)
  if user then
    local bytes = tonumber(redis.call('HGET', KEYS[2], id) or '0')
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
    if redis.call('HINCRBY', KEYS[4], user, -bytes) <= 0 then redis.call('HDEL', KEYS[4], user) end
    redis.call('HINCRBY', KEYS[5], 'jobs', -1)
    redis.call('HINCRBY', KEYS[5], 'bytes', -bytes)
    removed = removed + 1
  end
end
return removed`;

export class IngestBacklog {
  private readonly keys: string[];

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    const base = `${prefix}:ingest-backlog`;
    this.keys = [`${base}:job-user`, `${base}:job-bytes`, `${base}:user-jobs`, `${base}:user-bytes`, `${base}:totals`];
  }

  /** Counts accepted jobs; one already counted is left as it is. */
  async add(jobs: { jobId: string; userId: string; bytes: number }[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.redis.eval(ADD, this.keys.length, ...this.keys, ...jobs.flatMap((j) => [j.jobId, j.userId, String(j.bytes)]));
  }

  /**
   * For each job, whether its queue key exists; the ones that do not are
   * counted as add does, in one round trip. `jobKey` names a job's key in
   * the queue.
   */
  async addUnlessQueued(jobs: { jobId: string; userId: string; bytes: number }[], jobKey: (jobId: string) => string): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    const known = (await this.redis.eval(
      ADD_UNLESS_QUEUED,
      this.keys.length + jobs.length,
      ...this.keys,
      ...jobs.map((j) => jobKey(j.jobId)),
      ...jobs.flatMap((j) => [j.jobId, j.userId, String(j.bytes)]),
    )) as number[];
    return known.map((k) => k === 1);
  }

  /** Uncounts jobs that started (or were removed); one not counted is ignored. */
  async remove(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.redis.eval(REMOVE, this.keys.length, ...this.keys, ...jobIds);
  }

  async read(userId: string): Promise<Backlog> {
    const [, , userJobs, userBytes, totals] = this.keys as [string, string, string, string, string];
    const replies = (await this.redis
      .multi()
      .hget(totals, 'jobs')
      .hget(totals, 'bytes')
      .hget(userJobs, userId)
      .hget(userBytes, userId)
      .hlen(userJobs)
      .exec()) ?? [];
    const n = (i: number) => Math.max(0, Number(replies[i]?.[1] ?? 0) || 0);
    return { jobs: n(0), bytes: n(1), userJobs: n(2), userBytes: n(3), users: n(4) };
  }
}
