import type { Redis } from 'ioredis';
import { redisKey, STAGE_NAMES, type StageName } from '@mnemo/core';
import { execAll } from './redis-errors';

/**
 * What the pipeline did, added up across every API and worker process in
 * Redis beside the queues: the dashboard and /metrics read the same numbers.
 * Workers push here instead of each serving its own pipeline metrics, so one
 * scrape of any API process sees the whole fleet.
 */

/** Upper bounds (ms) of the stage-duration histogram buckets. */
export const STAGE_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000];
/** Recent durations kept per stage for percentiles: the last this many jobs. */
const RECENT_SAMPLES = 1_000;
/** Per-minute counters are kept two days. */
const MINUTE_TTL_SECONDS = 2 * 24 * 3600;

export type MinuteCounter = 'enqueued' | 'completed' | 'failed';

export interface JobFailure {
  code: string;
  reason: string;
  job_id: string;
  /** No attempt is left: the job is in the failed set. */
  final: boolean;
}

export interface StageHistogram {
  /** Cumulative counts per bucket bound (ms), +Inf last. */
  buckets: { le: number; count: number }[];
  sum_ms: number;
  count: number;
}

export interface FailureGroup {
  code: string;
  attempts: number;
  jobs: number;
  last_reason: string;
  last_job_id: string;
  last_at: string;
}

export type WorkerEvent = 'completed' | 'failed' | 'stalled';

export class PipelineStats {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return redisKey(this.prefix, 'stats', ...parts);
  }

  private minuteKey(at: Date): string {
    return this.key('minute', at.toISOString().slice(0, 16));
  }

  /** Counts a job accepted by the API. */
  async enqueued(count = 1, at = new Date()): Promise<void> {
    await execAll(this.redis.multi().hincrby(this.minuteKey(at), 'enqueued', count).expire(this.minuteKey(at), MINUTE_TTL_SECONDS));
  }

  /** A finished job: its stage timings and the memories it created, by category and type. */
  async completed(stageMs: Partial<Record<StageName, number>>, created: { categories: string[]; type: string }[], at = new Date()): Promise<void> {
    const tx = this.redis.multi();
    tx.hincrby(this.minuteKey(at), 'completed', 1).expire(this.minuteKey(at), MINUTE_TTL_SECONDS);
    tx.hincrby(this.key('totals'), 'completed', 1);
    for (const [stage, ms] of Object.entries(stageMs)) {
      const histogram = this.key('stage', stage);
      for (const le of STAGE_BUCKETS_MS) if (ms <= le) tx.hincrby(histogram, `le:${le}`, 1);
      tx.hincrby(histogram, 'count', 1).hincrbyfloat(histogram, 'sum_ms', ms);
      tx.lpush(this.key('recent', stage), ms.toFixed(3)).ltrim(this.key('recent', stage), 0, RECENT_SAMPLES - 1);
    }
    for (const memory of created) {
      for (const category of memory.categories) tx.hincrby(this.key('memories'), `category:${category}`, 1);
      tx.hincrby(this.key('memories'), `type:${memory.type}`, 1);
    }
    await execAll(tx);
  }

  /** A failed attempt; `final` when the job has no attempt left. */
  async failed(failure: JobFailure, at = new Date()): Promise<void> {
    const tx = this.redis.multi();
    if (failure.final) tx.hincrby(this.minuteKey(at), 'failed', 1).expire(this.minuteKey(at), MINUTE_TTL_SECONDS);
    tx.hincrby(this.key('failures'), `attempts:${failure.code}`, 1);
    if (failure.final) tx.hincrby(this.key('failures'), `jobs:${failure.code}`, 1);
    tx.hset(this.key('failures'), `last:${failure.code}`, JSON.stringify({ reason: failure.reason, job_id: failure.job_id, at: at.toISOString() }));
    await execAll(tx);
  }

  /** A job whose worker stopped renewing its lock (killed, frozen): it went back to the queue. */
  async stalled(jobId: string, at = new Date()): Promise<void> {
    await execAll(
      this.redis
        .multi()
        .hincrby(this.key('totals'), 'stalled', 1)
        .hset(this.key('totals'), 'last_stalled', JSON.stringify({ job_id: jobId, at: at.toISOString() })),
    );
  }

  /**
   * What a queue's worker saw happen to a job: every queue, the same events
   * (`registerWorker` in apps/worker records them), with the processing
   * time of finished attempts. `queue` is one of mnemo's queue names, never
   * user input.
   */
  async workerEvent(queue: string, event: WorkerEvent, processingMs?: number): Promise<void> {
    const tx = this.redis.multi().hincrby(this.key('workers'), `${queue}:${event}`, 1);
    if (processingMs !== undefined) tx.hincrby(this.key('workers'), `${queue}:processing_ms`, Math.round(processingMs));
    await execAll(tx);
  }

  /** Per queue: jobs completed, attempts failed, jobs found stalled, and processing time of finished attempts. */
  async workerTotals(): Promise<{ queue: string; completed: number; failed: number; stalled: number; processing_ms: number }[]> {
    const raw = await this.redis.hgetall(this.key('workers'));
    const queues = new Set(Object.keys(raw).map((field) => field.slice(0, field.lastIndexOf(':'))));
    const count = (queue: string, field: string) => Number(raw[`${queue}:${field}`] ?? 0);
    return [...queues].sort().map((queue) => ({
      queue,
      completed: count(queue, 'completed'),
      failed: count(queue, 'failed'),
      stalled: count(queue, 'stalled'),
      processing_ms: count(queue, 'processing_ms'),
    }));
  }

  /** The provider asked to back off (HTTP 429 or 529). */
  async rateLimited(): Promise<void> {
    await this.redis.hincrby(this.key('totals'), 'rate_limited', 1);
  }

  /** Per-minute counts for the last `minutes` minutes, oldest first. */
  async perMinute(minutes = 60, now = new Date()): Promise<({ minute: string } & Record<MinuteCounter, number>)[]> {
    const stamps = Array.from({ length: minutes }, (_, i) => new Date(now.getTime() - (minutes - 1 - i) * 60_000));
    const tx = this.redis.multi();
    for (const at of stamps) tx.hgetall(this.minuteKey(at));
    const rows = (await tx.exec()) ?? [];
    return stamps.map((at, i) => {
      const raw = (rows[i]?.[1] ?? {}) as Record<string, string>;
      return {
        minute: `${at.toISOString().slice(0, 16)}Z`,
        enqueued: Number(raw.enqueued ?? 0),
        completed: Number(raw.completed ?? 0),
        failed: Number(raw.failed ?? 0),
      };
    });
  }

  async stageHistograms(): Promise<Record<StageName, StageHistogram>> {
    const tx = this.redis.multi();
    for (const stage of STAGE_NAMES) tx.hgetall(this.key('stage', stage));
    const rows = (await tx.exec()) ?? [];
    return Object.fromEntries(
      STAGE_NAMES.map((stage, i) => {
        const raw = (rows[i]?.[1] ?? {}) as Record<string, string>;
        const count = Number(raw.count ?? 0);
        const buckets = [...STAGE_BUCKETS_MS.map((le) => ({ le, count: Number(raw[`le:${le}`] ?? 0) })), { le: Infinity, count }];
        return [stage, { buckets, sum_ms: Number(raw.sum_ms ?? 0), count }];
      }),
    ) as Record<StageName, StageHistogram>;
  }

  /** p50 and p95 (ms) of each stage over its recent jobs; null before any job. */
  async stagePercentiles(): Promise<Record<StageName, { p50: number | null; p95: number | null; samples: number }>> {
    const tx = this.redis.multi();
    for (const stage of STAGE_NAMES) tx.lrange(this.key('recent', stage), 0, -1);
    const rows = (await tx.exec()) ?? [];
    return Object.fromEntries(
      STAGE_NAMES.map((stage, i) => {
        const samples = ((rows[i]?.[1] ?? []) as string[]).map(Number).sort((a, b) => a - b);
        const at = (q: number) => (samples.length ? samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! : null);
        return [stage, { p50: at(0.5), p95: at(0.95), samples: samples.length }];
      }),
    ) as Record<StageName, { p50: number | null; p95: number | null; samples: number }>;
  }

  async failures(): Promise<FailureGroup[]> {
    const raw = await this.redis.hgetall(this.key('failures'));
    const codes = new Set(Object.keys(raw).map((field) => field.slice(field.indexOf(':') + 1)));
    return [...codes]
      .map((code) => {
        const last = JSON.parse(raw[`last:${code}`] ?? '{}') as { reason?: string; job_id?: string; at?: string };
        return {
          code,
          attempts: Number(raw[`attempts:${code}`] ?? 0),
          jobs: Number(raw[`jobs:${code}`] ?? 0),
          last_reason: last.reason ?? '',
          last_job_id: last.job_id ?? '',
          last_at: last.at ?? '',
        };
      })
      .sort((a, b) => b.last_at.localeCompare(a.last_at));
  }

  /** Totals since the start: completed jobs, stalls, provider back-offs, memories created by category and by type. */
  async totals(): Promise<{
    completed: number;
    rate_limited: number;
    stalled: number;
    last_stalled: { job_id: string; at: string } | null;
    by_category: Record<string, number>;
    by_type: Record<string, number>;
  }> {
    const [totals, memories] = await Promise.all([this.redis.hgetall(this.key('totals')), this.redis.hgetall(this.key('memories'))]);
    const pick = (prefix: string) =>
      Object.fromEntries(Object.entries(memories).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Number(v)]));
    return {
      completed: Number(totals.completed ?? 0),
      rate_limited: Number(totals.rate_limited ?? 0),
      stalled: Number(totals.stalled ?? 0),
      last_stalled: totals.last_stalled ? (JSON.parse(totals.last_stalled) as { job_id: string; at: string }) : null,
      by_category: pick('category:'),
      by_type: pick('type:'),
    };
  }
}
