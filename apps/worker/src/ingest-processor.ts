import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import {
  DROPPED_TEXT,
  isMnemoError,
  openJobData,
  sealJobData,
  sumUsage,
  type PayloadCipher,
  type IngestJobData,
  type IngestJobResult,
  type IngestProgress,
  type Logger,
} from '@mnemo/core';
import { runStages, StageFailed, type Analysis, type Checkpoint, type Stage } from '@mnemo/pipeline';
import { encodeFailure, INGEST_QUEUE, type PipelineStats } from '@mnemo/queue';
import { classifyFailure } from './classify-failure';

export interface ProcessorDeps {
  stages: Stage[];
  logger: Logger;
  /** Aborted when the worker is shutting down: running jobs stop at the next stage boundary. */
  shutdownSignal: AbortSignal;
  stageDelayMs: number;
  /** Called once the job's memories are stored (the profile rebuild request); its failure is logged, not fatal. */
  afterStore?: (userId: string) => Promise<void>;
  /** Pauses the whole worker (BullMQ rate limit) when the model provider says to back off. */
  rateLimit?: (ms: number) => Promise<void>;
  /** Adds model usage of a job to the fleet totals (which count the job once); its failure is logged, not fatal. */
  recordUsage?: (usage: NonNullable<IngestJobResult['llm']>, jobId: string) => Promise<void>;
  /** Tells the submitting key's webhooks how the job ended; its failure is logged, never fatal. */
  notify?: (keyId: string | undefined, event: 'job.completed' | 'job.failed' | 'memory.created', subject: string, data: Record<string, unknown>) => Promise<number>;
  /** Fleet-wide pipeline statistics for the dashboard and /metrics; failures to record are logged, not fatal. */
  stats?: Pick<PipelineStats, 'completed' | 'failed' | 'rateLimited'>;
  /** Seals conversation text in job data at rest (MNEMO_PAYLOAD_KEY); null: stored as is. */
  cipher?: PayloadCipher | null;
  /** Completed jobs drop their conversation text at completion (true) or are left to the sweeper. */
  dropTextAtCompletion?: boolean;
  /** Batch mode: parks a conversation's extraction for the next message batch. */
  batching?: { defer(jobId: string, analysis: Analysis): Promise<void>; maxWaitMs: number };
}

/** A finished job's data without conversation text: message roles and ids stay, content and checkpoint go. */
export function withoutText(data: IngestJobData): IngestJobData {
  const { checkpoint: _checkpoint, ...rest } = data;
  return {
    ...rest,
    conversation: { ...data.conversation, messages: data.conversation.messages.map((m) => ({ ...m, content: DROPPED_TEXT })) },
  };
}

/**
 * Whether an earlier attempt of this very job got as far as the store stage
 * (its progress is kept across retries and stalls; a job created anew under
 * the same id starts with none).
 */
function reachedStore(progress: unknown): boolean {
  const stage = typeof progress === 'object' && progress !== null ? (progress as Partial<IngestProgress>).stage : undefined;
  return stage === 'store' || stage === 'done';
}

/** Runs the pipeline for one ingest job; BullMQ concerns (progress, checkpoint, retry) stay here. */
export function createIngestProcessor(deps: ProcessorDeps) {
  return async (job: Job<IngestJobData, IngestJobResult>, token?: string): Promise<IngestJobResult> => {
    const cipher = deps.cipher ?? null;
    let opened: unknown;
    try {
      opened = openJobData(cipher, job.data as unknown as Record<string, unknown>);
    } catch (err) {
      throw new UnrecoverableError(encodeFailure('PROCESSING_ERROR', `cannot read the job payload: ${err instanceof Error ? err.message : String(err)}`));
    }
    const parsed = INGEST_QUEUE.schema.safeParse(opened);
    if (!parsed.success) {
      throw new UnrecoverableError(encodeFailure('VALIDATION_ERROR', `invalid job payload: ${parsed.error.message}`));
    }
    const data = parsed.data;
    // Read before this attempt reports its own progress.
    const ownEarlierWrite = reachedStore(job.progress);
    const log = deps.logger.child({ job_id: job.id, user_id: data.user_id });
    let checkpoint = data.checkpoint as Checkpoint | undefined;
    const input = {
      userId: data.user_id,
      jobId: job.id ?? 'unknown',
      conversation: data.conversation,
      receivedAt: data.received_at,
      // A job back from a batch with no usable answer (or past the wait) extracts synchronously.
      deferExtraction: !!deps.batching && data.batch === undefined && checkpoint?.outputs.extract === undefined,
    };
    log.info('processing', { attempt: job.attemptsMade + 1, messages: data.conversation.messages.length });
    // Model calls cost when they are made: count them as extract finishes (or fails) and as store finishes.
    const recordUsage = async (usage: IngestJobResult['llm'] | undefined) => {
      if (!usage || usage.calls === 0 || !deps.recordUsage) return;
      await deps.recordUsage(usage, job.id ?? 'unknown').catch((err: unknown) =>
        log.warn('could not record model usage', { error: err instanceof Error ? err.message : String(err) }),
      );
    };
    try {
      const run = await runStages(deps.stages, input, checkpoint, {
        signal: deps.shutdownSignal,
        stageDelayMs: deps.stageDelayMs,
        onStage: async (stage, stageMs) => {
          log.debug('stage started', { stage });
          await job.updateProgress({ stage, stage_ms: stageMs } satisfies IngestProgress);
        },
        onCheckpoint: async (next) => {
          if (next.outputs.extract && !checkpoint?.outputs.extract) await recordUsage(next.outputs.extract.llm);
          checkpoint = next;
          await job.updateData(sealJobData(cipher, { ...data, checkpoint: next as unknown as Record<string, unknown> }));
        },
      });
      const { llm: reconcileUsage } = run.outputs.store;
      // A replay of another job's write (the same conversation posted again once its job record was gone) changed
      // nothing and counts nothing. A replay of this job's own write (an attempt that stored, then died before it
      // could complete) is the job's outcome: the memories were stored for it and nobody has been told yet.
      const duplicate = run.outputs.store.replayed && !ownEarlierWrite;
      const { created, merged, updated, superseded } = duplicate ? { created: [], merged: [], updated: [], superseded: [] } : run.outputs.store;
      // Store is the last stage, never checkpointed: its reconciliation calls are counted here.
      await recordUsage(reconcileUsage);
      const categories = new Set<string>([...created, ...merged, ...updated].flatMap((m) => m.categories));
      const result: IngestJobResult = {
        memories_created: created.length,
        memories_merged: merged.length,
        memories_updated: updated.length,
        memories_superseded: superseded.length,
        categories_detected: [...categories],
        memories: (
          [
            ['created', created],
            ['merged', merged],
            ['updated', updated],
            ['superseded', superseded],
          ] as const
        ).flatMap(([action, list]) => list.map(({ id, memory, categories: cats, type, created_at }) => ({ id, action, memory, categories: cats, type, created_at }))),
        duplicate,
        processing_ms: Math.round(Object.values(run.stage_ms).reduce((a, b) => a + b, 0)),
        stage_ms: run.stage_ms,
        resumed_stages: run.resumed,
        llm: sumUsage(run.outputs.extract.llm, reconcileUsage),
      };
      await job.updateProgress({ stage: 'done', stage_ms: run.stage_ms } satisfies IngestProgress);
      if (deps.dropTextAtCompletion) {
        // Done with the words: the finished job keeps its shape and result, not what was said.
        await job.updateData(withoutText(data)).catch((err: unknown) =>
          log.warn('could not drop the conversation text of a finished job', { error: err instanceof Error ? err.message : String(err) }),
        );
      }
      if (created.length + merged.length + updated.length + superseded.length > 0) {
        await deps.afterStore?.(data.user_id).catch((err: unknown) =>
          log.warn('could not request a profile rebuild', { error: err instanceof Error ? err.message : String(err) }),
        );
      }
      const tell = (event: 'job.completed' | 'memory.created', fields: Record<string, unknown>) =>
        deps
          .notify?.(data.key_id, event, job.id ?? 'unknown', { job_id: job.id, user_id: data.user_id, ...fields })
          .catch((err: unknown) => log.warn('could not queue webhook deliveries', { event, error: err instanceof Error ? err.message : String(err) }));
      await tell('job.completed', {
        status: 'completed',
        memories_created: result.memories_created,
        memories_merged: result.memories_merged,
        memories_updated: result.memories_updated,
        memories_superseded: result.memories_superseded,
        categories_detected: result.categories_detected,
        processing_ms: result.processing_ms,
      });
      const fresh = result.memories.filter((m) => m.action === 'created');
      if (fresh.length > 0) await tell('memory.created', { memories: fresh });
      await deps.stats
        ?.completed(run.stage_ms, created)
        .catch((err: unknown) => log.warn('could not record pipeline stats', { error: err instanceof Error ? err.message : String(err) }));
      log.info('stored', {
        created: result.memories_created,
        merged: result.memories_merged,
        updated: result.memories_updated,
        superseded: result.memories_superseded,
        replayed: run.outputs.store.replayed,
        own_earlier_write: ownEarlierWrite,
        processing_ms: result.processing_ms,
        resumed_stages: run.resumed,
      });
      // Memory texts are personal too: with a payload key the stored result carries them sealed.
      return cipher ? { ...result, memories: [], memories_sealed: cipher.seal(result.memories) } : result;
    } catch (err) {
      const cause = err instanceof StageFailed ? err.cause : err;
      if (isMnemoError(cause)) await recordUsage((cause.details as { llm?: IngestJobResult['llm'] } | undefined)?.llm);
      const decision = classifyFailure(err, job, { batching: !!deps.batching, rateLimit: !!deps.rateLimit });
      switch (decision.action) {
        case 'hand-back':
          // Back to the queue for the next worker, checkpoint intact, attempt not spent.
          log.info('handing job back for shutdown', { next_stage: decision.nextStage });
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        case 'defer': {
          // Wait for the batch; the far-off delay is the fallback if no answer ever comes.
          const deferred: Checkpoint = { outputs: { ...(checkpoint?.outputs ?? {}), analyze: decision.analysis }, stage_ms: checkpoint?.stage_ms ?? {} };
          await deps.batching!.defer(job.id!, decision.analysis);
          await job.updateData(
            sealJobData(cipher, {
              ...data,
              checkpoint: deferred as unknown as Record<string, unknown>,
              batch: { state: 'pending', deferred_at: new Date().toISOString() },
            }),
          );
          log.info('extraction deferred to a message batch');
          await job.moveToDelayed(Date.now() + deps.batching!.maxWaitMs, token);
          throw new DelayedError();
        }
        case 'rate-limit':
          // The provider asked us to wait: pause this worker and put the job back, attempt not spent.
          log.warn('provider rate limit: pausing worker', { stage: decision.stage, retry_after_ms: decision.waitMs });
          await deps.stats?.rateLimited().catch((statsErr: unknown) => log.warn('could not record pipeline stats', { error: String(statsErr) }));
          await deps.rateLimit!(decision.waitMs);
          throw new RateLimitError();
        case 'retry':
        case 'final': {
          const { code, reason, stage } = decision;
          const final = decision.action === 'final';
          log.error('stage failed', { stage, reason, will_retry: !final });
          await deps.stats
            ?.failed({ code, reason, job_id: job.id ?? 'unknown', final })
            .catch((statsErr: unknown) => log.warn('could not record pipeline stats', { error: statsErr instanceof Error ? statsErr.message : String(statsErr) }));
          if (final) {
            await deps
              .notify?.(data.key_id, 'job.failed', job.id ?? 'unknown', {
                job_id: job.id,
                user_id: data.user_id,
                status: 'failed',
                error: { code, message: reason },
                attempts: job.attemptsMade + 1,
              })
              .catch((notifyErr: unknown) => log.warn('could not queue webhook deliveries', { event: 'job.failed', error: String(notifyErr) }));
          }
          // UnrecoverableError also stops BullMQ from retrying a domain error that has attempts left.
          throw final ? new UnrecoverableError(encodeFailure(code, reason)) : new Error(encodeFailure(code, reason));
        }
      }
    }
  };
}
