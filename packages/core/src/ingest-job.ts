import { z } from 'zod';
import { MEMORY_TYPES } from './memory-types';
import { storeMemoriesRequestSchema } from './store-memories-request';

/** The six pipeline stages, in order. Names appear in progress, timings and metrics. */
export const STAGE_NAMES = ['analyze', 'extract', 'classify', 'categorize', 'embed', 'store'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** What a finished job's messages hold once their text is dropped (the dashboard says "text dropped"). */
export const DROPPED_TEXT = '[dropped]';

/** Payload of a job on the ingest queue. */
export const ingestJobDataSchema = z.object({
  user_id: z.string(),
  conversation: storeMemoriesRequestSchema.omit({ user_id: true }),
  /** When the API accepted the conversation (ISO-8601): the fallback reference time. */
  received_at: z.string(),
  /** conversationDigest of the conversation: tells a reused Idempotency-Key with another body from a resubmission. */
  content_digest: z.string().optional(),
  /** The API key that submitted it: its webhooks hear how the job ends. */
  key_id: z.string().optional(),
  /** Finished stage outputs; a retry resumes after the last one. Written by the worker. */
  checkpoint: z.record(z.string(), z.unknown()).optional(),
  /** Batch mode: pending while the extraction waits in a message batch; fallback to extract synchronously. */
  batch: z.object({ state: z.enum(['pending', 'fallback']), deferred_at: z.string() }).optional(),
});
export type IngestJobData = z.infer<typeof ingestJobDataSchema>;

/** What a job did to a memory it touched. */
export const MEMORY_ACTIONS = ['created', 'merged', 'updated', 'superseded'] as const;

export const storedMemorySummarySchema = z.object({
  id: z.string(),
  /** Results written before actions were listed hold created memories only. */
  action: z.enum(MEMORY_ACTIONS).default('created'),
  memory: z.string(),
  categories: z.array(z.string().min(1).max(64)),
  type: z.enum(MEMORY_TYPES),
  created_at: z.string(),
});

/** What the model calls of one job cost: for the job result, the dashboard and metrics. */
export const llmUsageSchema = z.object({
  model: z.string(),
  calls: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cache_creation_input_tokens: z.number().int(),
  cache_read_input_tokens: z.number().int(),
  llm_ms: z.number(),
});
export type LlmUsage = z.infer<typeof llmUsageSchema>;

/** Usage of two sets of calls together (extraction and reconciliation); the first model named wins. */
export function sumUsage(a: LlmUsage | null, b: LlmUsage | null): LlmUsage | null {
  if (!a || !b) return a ?? b;
  return {
    model: a.model,
    calls: a.calls + b.calls,
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cache_creation_input_tokens: a.cache_creation_input_tokens + b.cache_creation_input_tokens,
    cache_read_input_tokens: a.cache_read_input_tokens + b.cache_read_input_tokens,
    llm_ms: a.llm_ms + b.llm_ms,
  };
}

/** What a finished ingest job returns. */
export const ingestJobResultSchema = z.object({
  /** New memories only. */
  memories_created: z.number().int(),
  /** Existing memories restated by the conversation: one more mention each. */
  memories_merged: z.number().int(),
  /** Existing memories refined (or restored) by the conversation, ids kept. */
  memories_updated: z.number().int(),
  /** Memories the conversation contradicted, now closed. */
  memories_superseded: z.number().int(),
  categories_detected: z.array(z.string()),
  /** Every memory the job touched, with what it did to it. */
  memories: z.array(storedMemorySummarySchema),
  /** Another job under this id had stored this conversation before (a replay of its write): nothing changed. */
  duplicate: z.boolean().default(false),
  /** With MNEMO_PAYLOAD_KEY: the memories, sealed (memories is then empty); the API opens them. */
  memories_sealed: z.object({ sealed: z.string() }).optional(),
  processing_ms: z.number(),
  stage_ms: z.partialRecord(z.enum(STAGE_NAMES), z.number()),
  /** Stages an earlier attempt had finished, taken from the checkpoint instead of run again. */
  resumed_stages: z.array(z.enum(STAGE_NAMES)),
  /** Model usage (extraction and reconciliation) when Claude ran; null offline. */
  llm: llmUsageSchema.nullable(),
});
export type IngestJobResult = z.infer<typeof ingestJobResultSchema>;

/** Reported as job progress while the pipeline runs. */
export interface IngestProgress {
  stage: StageName | 'done';
  stage_ms: Partial<Record<StageName, number>>;
}
