import { Queue, QueueEvents, type Job, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createLogger,
  ingestJobId,
  payloadCipherFrom,
  sealJobData,
  type PayloadCipher,
  type Config,
  type Conversation,
  type ErrorBody,
  type IngestJobData,
  type IngestJobResult,
  type IngestProgress,
  type Logger,
  type StageName,
} from '@mnemo/core';
import { decodeFailure } from './job-error';
import { PipelineStats } from './pipeline-stats';
import { assertRedisReady } from './redis-errors';
import { INGEST_QUEUE, ingestJobOptions } from './queues';

export type IngestJob = Job<IngestJobData, IngestJobResult>;

/** BullMQ priority of imported conversations (lower runs first; live jobs carry none and run before any). */
export const IMPORT_PRIORITY = 10;

/** How often a waiting request re-reads its job's state, besides listening for its event. */
const POLL_INTERVAL_MS = 1_000;

/** What GET /v1/jobs/:id shows. */
export interface JobView {
  job_id: string;
  status: JobState | 'unknown';
  stage: StageName | 'done' | null;
  attempts: number;
  max_attempts: number;
  /** Times the job's worker died or froze under it and it went back to the queue. */
  stalled: number;
  stage_ms: Partial<Record<StageName, number>>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: IngestJobResult | null;
  error: ErrorBody | null;
}

export type WaitOutcome =
  | { kind: 'completed'; result: IngestJobResult }
  | { kind: 'failed'; error: ErrorBody }
  | { kind: 'timeout' };

/** Producer side of the ingest queue, used by the API. */
export class IngestQueue {
  readonly queue: Queue<IngestJobData, IngestJobResult>;
  /**
   * Started once Redis is first ready (one started while Redis is down never
   * lets the process exit), and early: a reader started just before a wait
   * could miss the job's event.
   */
  private events: QueueEvents | null = null;
  private readonly stats: PipelineStats;
  private readonly cipher: PayloadCipher | null;

  constructor(
    private readonly config: Config,
    private readonly command: Redis,
    private readonly blocking: Redis,
    /** Where a figure that could not be recorded is reported (the request itself goes on). */
    private readonly logger: Logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'ingest-queue' }),
  ) {
    this.stats = new PipelineStats(command, config.MNEMO_QUEUE_PREFIX);
    this.cipher = payloadCipherFrom(config);
    this.queue = new Queue(INGEST_QUEUE.name, {
      connection: command,
      prefix: config.MNEMO_QUEUE_PREFIX,
      defaultJobOptions: ingestJobOptions(config),
    });
    // Errors surface on the requests that need Redis; without a listener they would crash the process.
    this.queue.on('error', () => undefined);
    // A failed start is retried by the next wait, which calls queueEvents() again.
    const start = () => this.queueEvents().catch(() => undefined);
    if (command.status === 'ready') void start();
    else command.once('ready', () => void start());
  }

  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      this.events = new QueueEvents(INGEST_QUEUE.name, { connection: this.blocking, prefix: this.config.MNEMO_QUEUE_PREFIX });
      // Connection errors surface on the requests that wait; the reader reconnects by itself.
      this.events.on('error', () => undefined);
    }
    await this.events.waitUntilReady();
    return this.events;
  }

  /**
   * Adds the conversation unless a job with the same id exists already, in
   * which case BullMQ returns that job: one conversation, one job.
   */
  async enqueue(userId: string, conversation: Conversation, idempotencyKey?: string, keyId?: string): Promise<IngestJob> {
    const data = INGEST_QUEUE.schema.parse({ user_id: userId, conversation, received_at: new Date().toISOString(), key_id: keyId });
    const jobId = ingestJobId(userId, conversation, idempotencyKey);
    assertRedisReady(this.command);
    const [known] = await this.known([jobId]);
    const job = await this.queue.add(INGEST_QUEUE.jobName, sealJobData(this.cipher, data), { jobId });
    // BullMQ adds nothing for a job id it has; only new jobs count as work coming in (not awaited: a figure, not the answer).
    if (!known) void this.stats.enqueued().catch((err: unknown) => this.statsFailed(err, [jobId]));
    return known ? ((await this.queue.getJob(jobId)) ?? job) : job;
  }

  /**
   * Imported work, in one round trip. It goes in at IMPORT_PRIORITY: BullMQ
   * takes jobs without a priority (live requests) before prioritized ones, so
   * an import never holds up a user waiting for an answer. A job id that
   * exists already (the same idempotency key, or the same content) is not
   * added again: it comes back marked duplicate.
   */
  async enqueueMany(
    items: { userId: string; conversation: Conversation; idempotencyKey?: string }[],
    keyId?: string,
  ): Promise<{ jobId: string; duplicate: boolean }[]> {
    const receivedAt = new Date().toISOString();
    const jobs = items.map(({ userId, conversation, idempotencyKey }) => ({
      name: INGEST_QUEUE.jobName,
      data: sealJobData(this.cipher, INGEST_QUEUE.schema.parse({ user_id: userId, conversation, received_at: receivedAt, key_id: keyId })),
      opts: { jobId: ingestJobId(userId, conversation, idempotencyKey), priority: IMPORT_PRIORITY },
    }));
    assertRedisReady(this.command);
    const known = await this.known(jobs.map((j) => j.opts.jobId));
    await this.queue.addBulk(jobs);
    const fresh = known.filter((k) => !k).length;
    if (fresh > 0) await this.stats.enqueued(fresh).catch((err: unknown) => this.statsFailed(err, jobs.map((j) => j.opts.jobId)));
    return jobs.map((j, i) => ({ jobId: j.opts.jobId, duplicate: known[i]! }));
  }

  private statsFailed(err: unknown, jobIds: string[]): void {
    this.logger.warn('could not record pipeline stats', {
      figure: 'enqueued',
      job_ids: jobIds.slice(0, 10),
      jobs: jobIds.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  /** Whether each job id is in the queue already (in any state). */
  private async known(jobIds: string[]): Promise<boolean[]> {
    const tx = this.command.multi();
    for (const id of jobIds) tx.exists(`${this.config.MNEMO_QUEUE_PREFIX}:${INGEST_QUEUE.name}:${id}`);
    const replies = (await tx.exec()) ?? [];
    return jobIds.map((_, i) => replies[i]?.[1] === 1);
  }

  /** Jobs waiting to start, live and imported: what backpressure looks at. */
  async waitingCount(): Promise<number> {
    assertRedisReady(this.command);
    const counts = await this.queue.getJobCounts('waiting', 'prioritized');
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  }

  /** The job if it exists and belongs to the user; another user's job is indistinguishable from none. */
  async findOwned(jobId: string, userId: string): Promise<IngestJob | null> {
    assertRedisReady(this.command);
    const job = await this.queue.getJob(jobId);
    if (!job || job.data?.user_id !== userId) return null;
    return job;
  }

  async waitFor(job: IngestJob, timeoutMs: number): Promise<WaitOutcome> {
    if (timeoutMs <= 0) return { kind: 'timeout' };
    const stop = new AbortController();
    try {
      const viaEvents = job
        .waitUntilFinished(await this.queueEvents(), timeoutMs)
        .then((result): WaitOutcome => ({ kind: 'completed', result: this.openResult(result as IngestJobResult) }))
        .catch((err: unknown): WaitOutcome => {
          const message = err instanceof Error ? err.message : String(err);
          if (/timed out before finishing/.test(message)) return { kind: 'timeout' };
          return { kind: 'failed', error: decodeFailure(message) };
        });
      return await Promise.race([viaEvents, this.pollUntilFinished(job.id!, stop.signal)]);
    } finally {
      stop.abort();
    }
  }

  /** Safety net under the event stream: a missed event must not hold a request until the wait bound. */
  private async pollUntilFinished(jobId: string, signal: AbortSignal): Promise<WaitOutcome> {
    for (;;) {
      // The wait is cancelled with the timer, so a finished request leaves nothing running.
      const woke = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), POLL_INTERVAL_MS);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve(false)), { once: true });
      });
      if (!woke) return new Promise<never>(() => undefined);
      // A failed read (Redis blip) just waits for the next round; the event path or the bound decides.
      const state = await this.queue.getJobState(jobId).catch(() => 'unknown');
      if (state !== 'completed' && state !== 'failed') continue;
      const job = await this.queue.getJob(jobId);
      if (!job) continue;
      return state === 'completed'
        ? { kind: 'completed', result: this.openResult(job.returnvalue) }
        : { kind: 'failed', error: decodeFailure(job.failedReason) };
    }
  }

  async view(owned: IngestJob): Promise<JobView> {
    // State first, then the job's fields: fields read after the state are never older than it,
    // so a job seen as failed or completed always shows its reason or result.
    const status = await owned.getState();
    const job = (await this.queue.getJob(owned.id!)) ?? owned;
    const progress = (typeof job.progress === 'object' ? job.progress : {}) as Partial<IngestProgress>;
    const result = status === 'completed' && job.returnvalue ? this.openResult(job.returnvalue) : null;
    return {
      job_id: job.id ?? '',
      status,
      stage: status === 'completed' ? 'done' : (progress.stage ?? null),
      attempts: job.attemptsMade,
      max_attempts: job.opts.attempts ?? 1,
      stalled: job.stalledCounter ?? 0,
      stage_ms: result?.stage_ms ?? progress.stage_ms ?? {},
      created_at: new Date(job.timestamp).toISOString(),
      started_at: job.processedOn ? new Date(job.processedOn).toISOString() : null,
      finished_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      result,
      error: status === 'failed' ? decodeFailure(job.failedReason) : null,
    };
  }

  /** A result as clients see it: sealed memories (MNEMO_PAYLOAD_KEY) opened. */
  private openResult(result: IngestJobResult): IngestJobResult {
    if (!result?.memories_sealed) return result;
    if (!this.cipher) throw new Error('job result is encrypted but MNEMO_PAYLOAD_KEY is not set');
    const { memories_sealed, ...rest } = result;
    return { ...rest, memories: this.cipher.open(memories_sealed) };
  }

  /** Bounded: with Redis gone, BullMQ's close would wait for it forever. */
  async close(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceful = Promise.all([this.events?.close(), this.queue.close()]).then(() => undefined);
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([graceful, bound]).finally(() => clearTimeout(timer));
  }
}
