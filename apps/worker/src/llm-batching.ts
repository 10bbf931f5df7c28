import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadCipherFrom, type Config, type Logger } from '@mnemo/core';
import type { BatchEntry, ClaudeBatches } from '@mnemo/pipeline';
import { INGEST_QUEUE, LLM_BATCH_QUEUE, LlmBatchQueue } from '@mnemo/queue';
import type { ProcessorDeps } from './ingest-processor';
import { createLlmBatchProcessor, type LlmBatchDeps } from './llm-batch-processor';

/** Batch mode's moving parts for one worker process: the deferral hook and the batch worker. */
export async function startLlmBatching(
  config: Config,
  connection: Redis,
  batches: ClaudeBatches,
  logger: Logger,
  recordUsage?: LlmBatchDeps['recordUsage'],
): Promise<{ batching: NonNullable<ProcessorDeps['batching']>; close(): Promise<void> }> {
  const llmBatch = new LlmBatchQueue<BatchEntry>(config, connection);
  const ingest = new Queue(INGEST_QUEUE.name, { connection, prefix: config.MNEMO_QUEUE_PREFIX });
  const worker = new Worker(
    LLM_BATCH_QUEUE.name,
    createLlmBatchProcessor({ batches, llmBatch, ingest, pollMs: config.MNEMO_LLM_BATCH_POLL_MS, logger, recordUsage, cipher: payloadCipherFrom(config) }),
    { connection, prefix: config.MNEMO_QUEUE_PREFIX, concurrency: 1 },
  );
  worker.on('error', (err) => logger.error('llm batch worker error', { error: err.message }));
  await worker.waitUntilReady();
  return {
    batching: {
      defer: (jobId, analysis) => llmBatch.add(jobId, batches.entriesFor(jobId, analysis)),
      maxWaitMs: config.MNEMO_LLM_BATCH_MAX_WAIT_MS,
    },
    close: async () => {
      await worker.close();
      await llmBatch.close();
      await ingest.close();
    },
  };
}
