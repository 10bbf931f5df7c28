import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';
import { ingestJobDataSchema, type Config } from '@mnemo/core';

/**
 * Every queue mnemo uses: its name, its job name and the schema of its
 * payload, shared by producers and consumers.
 */
export const INGEST_QUEUE = {
  name: 'ingest',
  jobName: 'conversation',
  schema: ingestJobDataSchema,
} as const;

/** Default options of ingest jobs: retries with exponential backoff and jitter, bounded retention. */
export function ingestJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: config.MNEMO_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.MNEMO_JOB_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: config.MNEMO_KEEP_COMPLETED_SECONDS, count: config.MNEMO_KEEP_COMPLETED_COUNT },
    removeOnFail: { age: config.MNEMO_KEEP_FAILED_SECONDS, count: config.MNEMO_KEEP_FAILED_COUNT },
  };
}

/** Rebuilds one user's profile (bio, per-category summaries, stats) into the profile cache. */
export const PROFILE_QUEUE = {
  name: 'profile',
  jobName: 'rebuild',
  schema: z.object({ user_id: z.string() }),
} as const;
export type ProfileJobData = z.infer<typeof PROFILE_QUEUE.schema>;

/** Profile jobs are cheap and recomputable: few attempts, short retention. */
export function profileJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: 3,
    backoff: { type: 'exponential', delay: config.MNEMO_JOB_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: config.MNEMO_KEEP_FAILED_SECONDS, count: 1000 },
  };
}

/**
 * Message Batches for extraction in batch mode: "submit" gathers pending
 * conversations into one batch; "poll" waits for it and hands each
 * conversation its answer.
 */
export const LLM_BATCH_QUEUE = {
  name: 'llm-batch',
  submitJob: 'submit',
  pollJob: 'poll',
  pollSchema: z.object({ batch_id: z.string(), job_ids: z.array(z.string()) }),
} as const;
export type LlmBatchPollData = z.infer<typeof LLM_BATCH_QUEUE.pollSchema>;

/**
 * The queues this configuration runs workers for, in the dashboard's order:
 * llm-batch only in batch mode with the Claude extractor (elsewhere it would
 * show as a queue with no workers, a false alarm).
 */
export function queuesInUse(config: Pick<Config, 'MNEMO_LLM_MODE' | 'MNEMO_EXTRACTOR'>): string[] {
  const batch = config.MNEMO_LLM_MODE === 'batch' && config.MNEMO_EXTRACTOR === 'claude';
  return [INGEST_QUEUE.name, PROFILE_QUEUE.name, ...(batch ? [LLM_BATCH_QUEUE.name] : []), WEBHOOK_QUEUE.name];
}

/** Webhook deliveries: one job per webhook and event, retried with backoff, apart from ingestion. */
export const WEBHOOK_QUEUE = {
  name: 'webhooks',
  jobName: 'deliver',
  schema: z.object({
    key_id: z.string(),
    webhook_id: z.string(),
    delivery_id: z.string(),
    event: z.string(),
    /** The JSON body, built when the event happened; sealed at rest with MNEMO_PAYLOAD_KEY (it carries memory texts). */
    body: z.record(z.string(), z.unknown()),
  }),
  /** Fields that carry user text: sealed like the ingest queue's conversation. */
  sealedFields: ['body'],
} as const;
export type WebhookJobData = z.infer<typeof WEBHOOK_QUEUE.schema>;

export function webhookJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: config.MNEMO_WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.MNEMO_WEBHOOK_BACKOFF_MS, jitter: 0.3 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: config.MNEMO_KEEP_FAILED_SECONDS, count: 10_000 },
  };
}
