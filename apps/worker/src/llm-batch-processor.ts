import { DelayedError, type Job, type Queue } from 'bullmq';
import { openJobData, sealJobData, type IngestJobData, type Logger, type PayloadCipher } from '@mnemo/core';
import type { BatchEntry, Checkpoint, ClaudeBatches, Extraction } from '@mnemo/pipeline';
import { LLM_BATCH_QUEUE, type LlmBatchQueue } from '@mnemo/queue';

export interface LlmBatchDeps {
  batches: ClaudeBatches;
  llmBatch: LlmBatchQueue<BatchEntry>;
  /** The ingest queue, to hand each waiting conversation its answer. */
  ingest: Queue<IngestJobData>;
  pollMs: number;
  logger: Logger;
  cipher: PayloadCipher | null;
  /** Adds answered conversations' model usage to the fleet totals. */
  recordUsage?: (usage: NonNullable<Extraction['llm']>, jobId: string) => Promise<void>;
}

/**
 * submit: every pending conversation into one Message Batch, then a poll.
 * poll: until the batch has ended; then each conversation gets its
 * extraction in its checkpoint (or is marked for the synchronous path) and
 * is promoted to run on from classify.
 */
export function createLlmBatchProcessor(deps: LlmBatchDeps) {
  return async (job: Job, token?: string): Promise<Record<string, unknown>> => {
    if (job.name === LLM_BATCH_QUEUE.submitJob) {
      const pending = await deps.llmBatch.takePending();
      if (pending.size === 0) return { submitted: 0 };
      const entries = [...pending.values()].flat();
      const batchId = await deps.batches.submit(entries);
      await deps.llmBatch.poll({ batch_id: batchId, job_ids: [...pending.keys()] });
      deps.logger.info('message batch submitted', { batch_id: batchId, conversations: pending.size, requests: entries.length });
      return { batch_id: batchId, conversations: pending.size };
    }

    const { batch_id, job_ids } = LLM_BATCH_QUEUE.pollSchema.parse(job.data);
    if ((await deps.batches.state(batch_id)) !== 'ended') {
      await job.moveToDelayed(Date.now() + deps.pollMs, token);
      throw new DelayedError();
    }
    const results = await deps.batches.results(batch_id);
    let answered = 0;
    for (const jobId of job_ids) {
      const ingestJob = await deps.ingest.getJob(jobId);
      // Gone, or no longer waiting (it fell back to the normal path after the maximum wait).
      if (!ingestJob?.data.batch || (await ingestJob.getState()) !== 'delayed') continue;
      const data = openJobData(deps.cipher, ingestJob.data as unknown as Record<string, unknown>) as unknown as IngestJobData;
      const checkpoint = data.checkpoint as unknown as Checkpoint;
      const extraction = checkpoint.outputs.analyze ? deps.batches.extraction(checkpoint.outputs.analyze, results.get(jobId)) : null;
      const { batch, ...rest } = data;
      if (!batch) continue;
      if (extraction) {
        answered++;
        const waited = Date.now() - Date.parse(batch.deferred_at);
        const next: Checkpoint = { outputs: { ...checkpoint.outputs, extract: extraction }, stage_ms: { ...checkpoint.stage_ms, extract: waited } };
        await ingestJob.updateData(sealJobData(deps.cipher, { ...rest, checkpoint: next as unknown as Record<string, unknown> }));
        if (extraction.llm) await deps.recordUsage?.(extraction.llm, jobId);
      } else {
        await ingestJob.updateData({ ...ingestJob.data, batch: { ...batch, state: 'fallback' } } as IngestJobData);
      }
      await ingestJob.promote().catch((err: unknown) =>
        deps.logger.warn('could not promote a batched job', { job_id: jobId, error: err instanceof Error ? err.message : String(err) }),
      );
    }
    deps.logger.info('message batch collected', { batch_id, answered, fallback: job_ids.length - answered });
    return { batch_id, answered, fallback: job_ids.length - answered };
  };
}
