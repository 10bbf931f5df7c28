import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadCipherFrom, type Config } from '@mnemo/core';
import type { BatchEntry, ClaudeBatches } from '@mnemo/pipeline';
import { INGEST_QUEUE, LLM_BATCH_QUEUE, LlmBatchQueue } from '@mnemo/queue';
import type { ProcessorDeps } from './ingest-processor';
import { createLlmBatchProcessor, type LlmBatchDeps } from './llm-batch-processor';
import { registerWorker, type RegisterWorkerDeps } from './register-worker';

/** Batch mode's moving parts for one worker process: the deferral hook and the batch worker. */
export async function startLlmBatching(
  config: Config,
  connection: Redis,
  batches: ClaudeBatches,
  registered: RegisterWorkerDeps,
  recordUsage?: LlmBatchDeps['recordUsage'],
): Promise<{ batching: NonNullable<ProcessorDeps['batching']>; close(): Promise<void> }> {
  const llmBatch = new LlmBatchQueue<BatchEntry>(config, connection);
  const ingest = new Queue(INGEST_QUEUE.name, { connection, prefix: config.MNEMO_QUEUE_PREFIX });
  const worker = registerWorker(
    LLM_BATCH_QUEUE.name,
    createLlmBatchProcessor({ batches, llmBatch, ingest, pollMs: config.MNEMO_LLM_BATCH_POLL_MS, logger: registered.logger, recordUsage, cipher: payloadCipherFrom(config) }),
    { connection, prefix: config.MNEMO_QUEUE_PREFIX, concurrency: 1 },
    registered,
  );
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
