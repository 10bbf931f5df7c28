import { isMnemoError, type ErrorCode, type StageName } from '@mnemo/core';
import { ExtractionDeferred, StageAborted, StageFailed, type Analysis } from '@mnemo/pipeline';

/** What to do with an ingest job whose run threw; the processor maps each onto BullMQ once. */
export type FailureDecision =
  /** Shutting down: back to the queue with its checkpoint, no attempt spent. */
  | { action: 'hand-back'; nextStage: StageName }
  /** Batch mode: park the extraction for the next message batch. */
  | { action: 'defer'; analysis: Analysis }
  /** The provider said to back off: pause the worker, put the job back, no attempt spent. */
  | { action: 'rate-limit'; waitMs: number; stage: StageName | 'unknown' }
  /** Worth another attempt (a network or store blip); BullMQ retries with back-off. */
  | { action: 'retry'; code: ErrorCode; reason: string; stage: StageName | 'unknown' }
  /** Will fail the same way again, or out of attempts: the job fails for good. */
  | { action: 'final'; code: ErrorCode; reason: string; stage: StageName | 'unknown' };

/** The job facts the decision depends on (a BullMQ job has them). */
export interface FailedJob {
  attemptsMade: number;
  opts: { attempts?: number };
}

/** What this worker can do besides retrying: defer to a batch, pause for the provider. */
export interface FailureModes {
  batching: boolean;
  rateLimit: boolean;
}

/** Without word from the provider, how long a rate-limited worker pauses. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;

/**
 * One pure decision per failure. A domain error (`MnemoError`: invalid
 * model output, bad data) fails the same way again, so it is final; any
 * other error is retried while attempts remain.
 */
export function classifyFailure(err: unknown, job: FailedJob, modes: FailureModes): FailureDecision {
  if (err instanceof StageAborted) return { action: 'hand-back', nextStage: err.nextStage };
  const stage = err instanceof StageFailed ? err.stage : 'unknown';
  const cause = err instanceof StageFailed ? err.cause : err;
  if (cause instanceof ExtractionDeferred && modes.batching) return { action: 'defer', analysis: cause.analysis };
  if (isMnemoError(cause) && cause.code === 'RATE_LIMIT_EXCEEDED' && modes.rateLimit) {
    const waitMs = (cause.details as { retry_after_ms?: number } | undefined)?.retry_after_ms ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return { action: 'rate-limit', waitMs, stage };
  }
  const reason = `${stage} stage failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  const code: ErrorCode = isMnemoError(cause) ? cause.code : 'PROCESSING_ERROR';
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return { action: isMnemoError(cause) || lastAttempt ? 'final' : 'retry', code, reason, stage };
}
