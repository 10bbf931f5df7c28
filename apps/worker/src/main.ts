import { Worker } from 'bullmq';
import { createLogger, loadConfig, onShutdown, type Closeable, type IngestJobData, type IngestJobResult } from '@mnemo/core';
import { createBioWriter, createEmbedder, createExtraction, ingestStages, type UserProfile } from '@mnemo/pipeline';
import {
  createRedis,
  INGEST_QUEUE,
  LlmUsageTotals,
  PROFILE_QUEUE,
  ProfileCache,
  ProfileQueue,
  reportConnection,
  waitForRedis,
  type ProfileJobData,
} from '@mnemo/queue';
import { openMemoryStore } from '@mnemo/store';
import { createIngestProcessor } from './ingest-processor';
import { startLlmBatching } from './llm-batching';
import { llmRequestLimiter } from './llm-request-limiter';
import { createProfileProcessor } from './profile-processor';

/** Worker process: consumes the ingest queue and runs the pipeline. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'worker' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);

  const connection = createRedis(config.REDIS_URL, 'blocking', 'mnemo-worker');
  reportConnection(connection, logger, 'worker');
  resources.push({ name: 'redis', close: async () => void connection.disconnect() });
  await waitForRedis(connection, config.REDIS_URL, config.MNEMO_REDIS_CONNECT_TIMEOUT_MS);

  const embedder = await createEmbedder(config);
  const store = await openMemoryStore(config, embedder.dimension);
  resources.push({ name: 'store', close: () => store.close() });

  const profiles = new ProfileQueue(config, connection);
  resources.push({ name: 'profile queue', close: () => profiles.close() });
  const cache = new ProfileCache<UserProfile>(connection, config.MNEMO_QUEUE_PREFIX);

  const usageTotals = new LlmUsageTotals(connection, config.MNEMO_QUEUE_PREFIX);
  const throttle = config.MNEMO_LLM_MAX_RPM ? llmRequestLimiter(connection, config.MNEMO_QUEUE_PREFIX, config.MNEMO_LLM_MAX_RPM) : undefined;
  const extraction = createExtraction(config, { throttle });
  const bioWriter = createBioWriter(config, { throttle });
  const llmBatching =
    config.MNEMO_LLM_MODE === 'batch' && extraction.batches
      ? await startLlmBatching(config, connection, extraction.batches, logger, (usage) => usageTotals.record(usage))
      : undefined;
  if (llmBatching) resources.push({ name: 'llm batching', close: () => llmBatching.close() });

  const handBack = new AbortController();
  const processor = createIngestProcessor({
    stages: ingestStages({ ...extraction, embedder, store, chunkTokens: config.MNEMO_CHUNK_TOKENS }),
    batching: llmBatching?.batching,
    logger,
    shutdownSignal: handBack.signal,
    stageDelayMs: config.MNEMO_FAULT_STAGE_DELAY_MS,
    afterStore: (userId) => profiles.requestRebuild(userId),
    rateLimit: (ms) => worker.rateLimit(ms),
    recordUsage: (usage) => usageTotals.record(usage),
  });
  const worker: Worker<IngestJobData, IngestJobResult> = new Worker(INGEST_QUEUE.name, processor, {
    connection,
    prefix: config.MNEMO_QUEUE_PREFIX,
    concurrency: config.MNEMO_WORKER_CONCURRENCY,
  });
  worker.on('error', (err) => logger.error('worker error', { error: err.message }));
  worker.on('failed', (job, err) =>
    logger.warn('job attempt failed', { job_id: job?.id, user_id: job?.data.user_id, error: err.message }),
  );
  resources.push({
    name: 'worker',
    close: async () => {
      // Let running jobs finish for half the bound, then make them hand back at their next stage.
      const timer = setTimeout(() => handBack.abort(), config.MNEMO_SHUTDOWN_TIMEOUT_MS / 2);
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
      }
    },
  });
  const profileWorker = new Worker<ProfileJobData>(PROFILE_QUEUE.name, createProfileProcessor({ store, cache, logger, bioWriter, recordUsage: (usage) => usageTotals.record(usage) }), {
    connection,
    prefix: config.MNEMO_QUEUE_PREFIX,
    concurrency: 1,
  });
  profileWorker.on('error', (err) => logger.error('profile worker error', { error: err.message }));
  resources.push({ name: 'profile worker', close: () => profileWorker.close() });
  await Promise.all([worker.waitUntilReady(), profileWorker.waitUntilReady()]);
  logger.info('worker ready', {
    queue: `${config.MNEMO_QUEUE_PREFIX}:${INGEST_QUEUE.name}`,
    concurrency: config.MNEMO_WORKER_CONCURRENCY,
    store: store.kind,
    embedder: embedder.name,
    extractor: config.MNEMO_EXTRACTOR,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
