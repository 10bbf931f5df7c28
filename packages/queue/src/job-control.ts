import { Queue, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { MnemoError, type ErrorBody } from '@mnemo/core';
import { IngestBacklog } from './ingest-backlog';
import { decodeFailure } from './job-error';
import { INGEST_QUEUE, LLM_BATCH_QUEUE, PROFILE_QUEUE, WEBHOOK_QUEUE } from './queues';

/** Every queue an operator sees, in the order the dashboard lists them. */
export const QUEUE_NAMES = [INGEST_QUEUE.name, PROFILE_QUEUE.name, LLM_BATCH_QUEUE.name, WEBHOOK_QUEUE.name] as const;
export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed', 'paused', 'waiting-children'] as const;
export type CountedState = (typeof JOB_STATES)[number];

export interface QueueStats {
  queue: string;
  counts: Record<CountedState, number>;
  /** Age of the oldest job waiting to start, in seconds; null when none waits. */
  oldest_waiting_seconds: number | null;
}

export interface FailedJob {
  job_id: string;
  user_id: string | null;
  error: ErrorBody;
  attempts: number;
  failed_at: string | null;
}

/**
 * What an operator does to jobs: counts, the failed list, retry and
 * discard. Shared by the CLI (`mnemo jobs`) and the admin API. A retried
 * ingest job keeps its data, checkpoint included, so it resumes after the
 * last stage it finished.
 */
export interface QueueWorkers {
  queue: string;
  workers: { name: string; addr: string; connected_seconds: number; idle_seconds: number }[] | null;
}

export class JobControl {
  readonly queues: Map<string, Queue>;
  private readonly backlog: IngestBacklog;

  constructor(connection: Redis, prefix: string) {
    this.backlog = new IngestBacklog(connection, prefix);
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
  }

  private get ingest(): Queue {
    return this.queues.get(INGEST_QUEUE.name)!;
  }

  /**
   * The workers connected to each queue now, from Redis's client list
   * (BullMQ names each worker's connection). null where the Redis refuses
   * CLIENT LIST, as some managed services do.
   */
  async workers(): Promise<QueueWorkers[]> {
    return Promise.all(
      [...this.queues.entries()].map(async ([name, queue]) => {
        const clients = (await queue.getWorkers()) as Record<string, string>[];
        if (clients.some((c) => !c.rawname)) return { queue: name, workers: null };
        return {
          queue: name,
          workers: clients.map((c) => ({
            name: c.rawname!.includes(':w:') ? c.rawname!.slice(c.rawname!.indexOf(':w:') + 3) : '(unnamed)',
            addr: c.addr ?? '',
            connected_seconds: Number(c.age ?? 0),
            idle_seconds: Number(c.idle ?? 0),
          })),
        };
      }),
    );
  }

  async stats(now = Date.now()): Promise<QueueStats[]> {
    return Promise.all(
      [...this.queues.entries()].map(async ([name, queue]) => {
        const counts = (await queue.getJobCounts(...JOB_STATES)) as Record<CountedState, number>;
        // Ascending: the first waiting job is the one that has waited longest.
        const [first] = await queue.getJobs(['waiting'] as JobType[], 0, 0, true);
        return {
          queue: name,
          counts: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as Record<CountedState, number>,
          oldest_waiting_seconds: first ? Math.max(0, Math.round((now - first.timestamp) / 1000)) : null,
        };
      }),
    );
  }

  /** Failed ingest jobs, most recent first. */
  async failed(limit = 50): Promise<{ total: number; jobs: FailedJob[] }> {
    const [total, jobs] = await Promise.all([this.ingest.getFailedCount(), this.ingest.getFailed(0, limit - 1)]);
    return {
      total,
      jobs: jobs.map((job) => ({
        job_id: job.id!,
        user_id: (job.data as { user_id?: string } | undefined)?.user_id ?? null,
        error: decodeFailure(job.failedReason),
        attempts: job.attemptsMade,
        failed_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      })),
    };
  }

  /** Puts a failed job back in the queue; it resumes from its checkpoint. */
  async retry(jobId: string): Promise<void> {
    const job = await this.ingest.getJob(jobId);
    if (!job) throw new MnemoError('NOT_FOUND', `No job ${jobId}`);
    const state = await job.getState();
    if (state !== 'failed') throw new MnemoError('VALIDATION_ERROR', `Job ${jobId} is ${state}; only failed jobs can be retried`);
    await job.retry('failed');
  }

  /** Retries every failed ingest job; returns how many there were. */
  async retryAll(): Promise<number> {
    const count = await this.ingest.getFailedCount();
    if (count > 0) await this.ingest.retryJobs({ state: 'failed', count: 1_000 });
    return count;
  }

  /** Removes a job that is not running. */
  async discard(jobId: string): Promise<void> {
    const job = await this.ingest.getJob(jobId);
    if (!job) throw new MnemoError('NOT_FOUND', `No job ${jobId}`);
    const state = await job.getState();
    if (state === 'active') throw new MnemoError('VALIDATION_ERROR', `Job ${jobId} is running; wait for it to finish or fail`);
    await job.remove();
    // A discarded waiting job no longer counts against its user's share of the backlog.
    await this.backlog.remove([jobId]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
