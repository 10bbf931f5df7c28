import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadCipherFrom, type Config, type IngestJobData, type IngestJobResult, type Logger } from '@mnemo/core';
import { createBioWriter, createExtraction, ingestStages, type Embedder, type PipelineDeps, type Stage, type UserProfile } from '@mnemo/pipeline';
import { INGEST_QUEUE, IngestBacklog, LlmUsageTotals, PROFILE_QUEUE, ProfileCache, ProfileQueue, PipelineStats, RedisUserLease, WEBHOOK_QUEUE, WebhookNotifier, WebhookRepository, type ProfileJobData, type WebhookJobData } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { createIngestProcessor } from './ingest-processor';
import { registerWorker } from './register-worker';
import { startLlmBatching } from './llm-batching';
import { llmRequestLimiter } from './llm-request-limiter';
import { createProfileProcessor } from './profile-processor';
import { startTextSweeper } from './text-sweeper';
import { createWebhookProcessor } from './webhook-processor';

export interface StartWorkersOptions {
  config: Config;
  logger: Logger;
  /** A blocking connection (BullMQ duplicates it where it needs more). */
  connection: Redis;
  store: MemoryStore;
  embedder: Embedder;
  /** Tests replace stages to inject faults; production runs ingestStages as they are. */
  stages?: (deps: PipelineDeps) => Stage[];
}

export interface RunningWorkers {
  ingest: Worker<IngestJobData, IngestJobResult>;
  /** Graceful: running jobs get half the shutdown bound, then hand back at their next stage. */
  close(): Promise<void>;
}

/** Every consumer of one worker process: ingest, profile rebuilds and, in batch mode, message batches. */
export async function startWorkers({ config, logger, connection, store, embedder, stages }: StartWorkersOptions): Promise<RunningWorkers> {
  const prefix = config.MNEMO_QUEUE_PREFIX;
  const profiles = new ProfileQueue(config, connection);
  const cache = new ProfileCache<UserProfile>(connection, prefix);
  const usageTotals = new LlmUsageTotals(connection, prefix);
  const recordUsage = (usage: NonNullable<IngestJobResult['llm']>, jobId?: string) => usageTotals.record(usage, { jobId });
  const throttle = config.MNEMO_LLM_MAX_RPM ? llmRequestLimiter(connection, prefix, config.MNEMO_LLM_MAX_RPM) : undefined;
  const extraction = createExtraction(config, { throttle });
  const stats = new PipelineStats(connection, prefix);
  const llmBatching =
    config.MNEMO_LLM_MODE === 'batch' && extraction.batches
      ? await startLlmBatching(config, connection, extraction.batches, { logger, stats }, recordUsage)
      : undefined;

  const webhooks = new WebhookRepository(connection, prefix);
  const notifier = new WebhookNotifier(config, connection, webhooks);
  const lock = new RedisUserLease(connection, prefix, { leaseMs: config.MNEMO_USER_LEASE_MS, waitMs: config.MNEMO_USER_LEASE_WAIT_MS });
  const pipeline: PipelineDeps = { ...extraction, embedder, store, lock, chunkTokens: config.MNEMO_CHUNK_TOKENS };
  const handBack = new AbortController();
  const processor = createIngestProcessor({
    stages: stages ? stages(pipeline) : ingestStages(pipeline),
    batching: llmBatching?.batching,
    logger,
    shutdownSignal: handBack.signal,
    stageDelayMs: config.MNEMO_FAULT_STAGE_DELAY_MS,
    afterStore: (userId) => profiles.requestRebuild(userId),
    rateLimit: (ms) => ingest.rateLimit(ms),
    recordUsage,
    stats,
    notify: (keyId, event, subject, data) => notifier.notify(keyId, event, subject, data),
    cipher: payloadCipherFrom(config),
    dropTextAtCompletion: config.MNEMO_KEEP_COMPLETED_TEXT_SECONDS === 0,
  });
  const registered = { logger, stats };
  const ingest: Worker<IngestJobData, IngestJobResult> = registerWorker(
    INGEST_QUEUE.name,
    processor,
    {
      connection,
      prefix,
      concurrency: config.MNEMO_WORKER_CONCURRENCY,
      // A killed worker stops renewing its jobs' locks: after this long they are stalled and retried elsewhere.
      lockDuration: config.MNEMO_JOB_LOCK_MS,
      stalledInterval: config.MNEMO_JOB_LOCK_MS,
    },
    { ...registered, onStalled: (jobId) => stats.stalled(jobId) },
  );
  // A started job no longer waits: backpressure stops counting it (idempotent, so a job run again changes nothing).
  const backlog = new IngestBacklog(connection, prefix);
  ingest.on('active', (job) => {
    backlog.remove([job.id!]).catch((err: unknown) => logger.warn('could not update the ingest backlog', { job_id: job.id, error: String(err) }));
  });

  const profileWorker = registerWorker<ProfileJobData, unknown>(
    PROFILE_QUEUE.name,
    createProfileProcessor({ store, cache, logger, bioWriter: createBioWriter(config, { throttle }), recordUsage }),
    { connection, prefix, concurrency: 1 },
    registered,
  );

  // Deliveries run apart from ingestion: a slow or failing receiver never holds up a conversation.
  const webhookWorker = registerWorker<WebhookJobData, unknown>(
    WEBHOOK_QUEUE.name,
    createWebhookProcessor({
      webhooks,
      policy: { allowedHosts: config.MNEMO_WEBHOOK_ALLOWED_HOSTS, allowPrivate: config.MNEMO_WEBHOOK_ALLOW_PRIVATE },
      timeoutMs: config.MNEMO_WEBHOOK_TIMEOUT_MS,
      logger,
      cipher: payloadCipherFrom(config),
    }),
    { connection, prefix, concurrency: 8 },
    registered,
  );

  const ingestReader = new Queue<IngestJobData, IngestJobResult>(INGEST_QUEUE.name, { connection, prefix });
  const stopSweeper =
    config.MNEMO_KEEP_COMPLETED_TEXT_SECONDS > 0
      ? startTextSweeper(ingestReader, { keepSeconds: config.MNEMO_KEEP_COMPLETED_TEXT_SECONDS, cipher: payloadCipherFrom(config), logger })
      : () => undefined;
  await Promise.all([ingest.waitUntilReady(), profileWorker.waitUntilReady(), webhookWorker.waitUntilReady()]);

  return {
    ingest,
    close: async () => {
      const timer = setTimeout(() => handBack.abort(), config.MNEMO_SHUTDOWN_TIMEOUT_MS / 2);
      try {
        await ingest.close();
      } finally {
        clearTimeout(timer);
      }
      await profileWorker.close();
      await webhookWorker.close();
      stopSweeper();
      await ingestReader.close();
      await notifier.close();
      await llmBatching?.close();
      await profiles.close();
    },
  };
}
