import { Queue, QueueEvents, type Job, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  conversationBytes,
  conversationDigest,
  createLogger,
  ingestJobId,
  MnemoError,
  oversizedConversation,
  type Backlog,
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
import { ConnectedReplicas } from './connected-replicas';
import { IngestBacklog } from './ingest-backlog';
import { PipelineStats } from './pipeline-stats';
import { assertRedisReady } from './redis-errors';
import { nodeHolding } from './redis-connection';
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

/** One conversation to enqueue, as submit takes it. */
export interface Submission {
  userId: string;
  conversation: Conversation;
  idempotencyKey?: string;
}

/** What became of a submitted conversation: a job (new, or known already), or the reason it was refused. */
export type Admission = { jobId: string; duplicate: boolean } | { jobId: string; refused: MnemoError };

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
  private readonly backlog: IngestBacklog;
  private readonly cipher: PayloadCipher | null;
  private readonly replicaCount: ConnectedReplicas;

  constructor(
    private readonly config: Config,
    private readonly command: Redis,
    private readonly blocking: Redis,
    /** Where a figure that could not be recorded is reported (the request itself goes on). */
    private readonly logger: Logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'ingest-queue' }),
  ) {
    this.stats = new PipelineStats(command, config.MNEMO_QUEUE_PREFIX);
    this.backlog = new IngestBacklog(command, config.MNEMO_QUEUE_PREFIX);
    this.cipher = payloadCipherFrom(config);
    this.replicaCount = new ConnectedReplicas(() => this.primary());
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
   * Adds the conversation as a job, identified by its Idempotency-Key or its
   * content (see submit). Throws the refusal (413, 422) when there is one.
   */
  async enqueue(userId: string, conversation: Conversation, idempotencyKey?: string, keyId?: string): Promise<IngestJob> {
    return (await this.admit(userId, conversation, idempotencyKey, keyId)).job;
  }

  /** As enqueue, and whether the job was known already (the same conversation posted again). */
  async admit(userId: string, conversation: Conversation, idempotencyKey?: string, keyId?: string): Promise<{ job: IngestJob; duplicate: boolean }> {
    const [admission] = await this.submit([{ userId, conversation, idempotencyKey }], keyId);
    if ('refused' in admission!) throw admission.refused;
    // A new job is the one addBulk returned: reading it back would cost a round trip per request.
    const job = admission!.job ?? (await this.queue.getJob(admission!.jobId));
    if (!job) throw new Error(`job ${admission!.jobId} vanished right after it was enqueued`);
    return { job, duplicate: admission!.duplicate };
  }

  /**
   * Imported work, in one round trip. It goes in at IMPORT_PRIORITY: BullMQ
   * takes jobs without a priority (live requests) before prioritized ones, so
   * an import never holds up a user waiting for an answer.
   */
  async enqueueMany(items: Submission[], keyId?: string): Promise<Admission[]> {
    return (await this.submit(items, keyId, IMPORT_PRIORITY)).map(({ job: _job, ...admission }) => admission);
  }

  /**
   * The one way conversations become jobs, whatever route they came by.
   * - Over the byte bound (MNEMO_MAX_BODY_BYTES): refused, 413.
   * - A new job id: added, and counted in the backlog.
   * - A known id with another conversation (an Idempotency-Key reused with
   *   another body): refused, 422; the old job is left as it is.
   * - A known id whose job failed: replaced, so a resubmission runs again;
   *   it keeps its checkpoint (the conversation is the same) and starts
   *   with fresh attempts.
   * - Any other known id: a duplicate, not added again.
   */
  private async submit(items: Submission[], keyId: string | undefined, priority?: number): Promise<(Admission & { job?: IngestJob })[]> {
    const receivedAt = new Date().toISOString();
    const prepared = items.map(({ userId, conversation, idempotencyKey }) => {
      const jobId = ingestJobId(userId, conversation, idempotencyKey);
      const digest = conversationDigest(userId, conversation);
      const data = INGEST_QUEUE.schema.parse({ user_id: userId, conversation, content_digest: digest, received_at: receivedAt, key_id: keyId });
      return { jobId, digest, data, userId, bytes: conversationBytes(conversation), oversized: oversizedConversation(conversation, this.config.MNEMO_MAX_BODY_BYTES) };
    });
    assertRedisReady(this.command);
    // One round trip tells which ids are known and counts the new ones in the backlog:
    // counted before they are added, since a worker uncounts a job when it starts, which may be at once.
    const fitting = prepared.filter((p) => !p.oversized);
    const knownIds = new Set<string>();
    const flags = await this.backlog.addUnlessQueued(fitting, (id) => this.jobKey(id));
    fitting.forEach((p, i) => flags[i] && knownIds.add(p.jobId));
    const admissions: (Admission & { job?: IngestJob })[] = [];
    const fresh: typeof prepared = [];
    const failed: { item: (typeof prepared)[number]; job: IngestJob }[] = [];
    for (const item of prepared) {
      if (item.oversized) {
        admissions.push({ jobId: item.jobId, refused: item.oversized });
        continue;
      }
      const job = knownIds.has(item.jobId) ? await this.queue.getJob(item.jobId) : undefined;
      if (!job) {
        // Two items of one request with the same id are one job.
        if (!fresh.some((f) => f.jobId === item.jobId)) fresh.push(item);
        admissions.push({ jobId: item.jobId, duplicate: fresh.indexOf(item) < 0 });
        continue;
      }
      const storedDigest = (job.data as { content_digest?: string } | undefined)?.content_digest;
      if (storedDigest !== undefined && storedDigest !== item.digest) {
        admissions.push({
          jobId: item.jobId,
          refused: new MnemoError(
            'IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was used before with a different conversation; send the same body to get that job, or use a new key',
            { job_id: item.jobId },
          ),
        });
        continue;
      }
      if ((await job.getState()) === 'failed') {
        failed.push({ item, job });
        admissions.push({ jobId: item.jobId, duplicate: false, job });
        continue;
      }
      admissions.push({ jobId: item.jobId, duplicate: true, job });
    }
    // A known id whose job vanished between the check and getJob (removed by retention) is added as new:
    // it was not counted by the check, so it is counted here.
    const uncounted = fresh.filter((f) => knownIds.has(f.jobId));
    const counted = [...fresh, ...failed.map((f) => f.item)];
    await this.backlog.add([...uncounted, ...failed.map((f) => f.item)].map(({ jobId, userId, bytes }) => ({ jobId, userId, bytes })));
    if (fresh.length > 0) {
      try {
        const added = await this.queue.addBulk(
          fresh.map((f) => ({
            name: INGEST_QUEUE.jobName,
            data: sealJobData(this.cipher, f.data),
            opts: { jobId: f.jobId, ...(priority !== undefined ? { priority } : {}) },
          })),
        );
        const byId = new Map(added.map((job) => [job.id, job]));
        for (const admission of admissions) if (!('refused' in admission) && !admission.job) admission.job = byId.get(admission.jobId);
      } catch (err) {
        // Nothing was added: uncount it too, or the user's share would stay taken by jobs that do not exist.
        await this.backlog.remove(fresh.map((f) => f.jobId)).catch((undo: unknown) => {
          throw new Error(`enqueue failed (${String(err)}) and its backlog entries could not be undone (${String(undo)})`, { cause: err });
        });
        throw err;
      }
    }
    for (const { item, job } of failed) await this.replaceFailed(job, item.data, item.digest);
    if (counted.length > 0) await this.replicated(counted.map((c) => c.jobId));
    // Only new work counts as work coming in (not awaited: a figure, not the answer).
    if (counted.length > 0) void this.stats.enqueued(counted.length).catch((err: unknown) => this.statsFailed(err, counted.map((c) => c.jobId)));
    return admissions;
  }

  /**
   * A job answered 202 must survive the primary's loss, and Redis
   * replicates asynchronously: wait (WAIT, bounded) until the replicas hold
   * this connection's writes. Short of them the job is in the primary only,
   * so the request gets 503: the client's retry is recognised as the same
   * job, never added twice.
   */
  private async replicated(jobIds: string[]): Promise<void> {
    if (this.config.MNEMO_REDIS_WAIT_REPLICAS === 0) return;
    // At most the replicas there are: a lone Redis (or a primary whose replica is gone) has nothing to wait for.
    const replicas = Math.min(this.config.MNEMO_REDIS_WAIT_REPLICAS, await this.replicaCount.read());
    if (replicas === 0) return;
    const timeoutMs = this.config.MNEMO_REDIS_WAIT_TIMEOUT_MS;
    const acknowledged = await (await this.primary()).wait(replicas, timeoutMs);
    if (acknowledged < replicas) {
      throw new MnemoError(
        'SERVICE_UNAVAILABLE',
        `Redis replication is behind: ${acknowledged} of ${replicas} replicas hold the job after ${timeoutMs} ms; retry the same request (it is recognised, not added twice)`,
        { job_ids: jobIds },
      );
    }
  }

  /** The connection that took this queue's writes: on a Cluster, the master of the prefix's slot. */
  private primary(): Promise<Redis> {
    return nodeHolding(this.command, `${this.config.MNEMO_QUEUE_PREFIX}:${INGEST_QUEUE.name}`);
  }

  /** A failed job made to run again with the new submission's data and the old checkpoint. */
  private async replaceFailed(job: IngestJob, data: IngestJobData, digest: string): Promise<void> {
    const old = job.data as unknown as Record<string, unknown>;
    const checkpoint = old.content_digest === digest ? old.checkpoint : undefined;
    await job.updateData({ ...sealJobData(this.cipher, data), ...(checkpoint !== undefined ? { checkpoint } : {}) } as IngestJobData);
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      // Another request resubmitted it first: it runs again all the same.
      if ((await job.getState()) === 'failed') throw err;
    }
  }

  /** What waits to start, in all and of one user: what batch backpressure judges on. */
  backlogOf(userId: string): Promise<Backlog> {
    assertRedisReady(this.command);
    return this.backlog.read(userId);
  }

  private statsFailed(err: unknown, jobIds: string[]): void {
    this.logger.warn('could not record pipeline stats', {
      figure: 'enqueued',
      job_ids: jobIds.slice(0, 10),
      jobs: jobIds.length,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  /** The Redis key of a job of the ingest queue (BullMQ's layout). */
  private jobKey(jobId: string): string {
    return `${this.config.MNEMO_QUEUE_PREFIX}:${INGEST_QUEUE.name}:${jobId}`;
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
