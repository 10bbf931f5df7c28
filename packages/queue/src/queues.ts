import type { DefaultJobOptions } from 'bullmq';
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
