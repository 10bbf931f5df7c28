import { z } from 'zod';
import { webhookSchema } from '@mnemo/queue';
import { ERROR_STATUS, HISTORY_EVENTS, ingestJobResultSchema, MEMORY_TYPES, memorySchema, memorySourceSchema, STAGE_NAMES, storedMemorySummarySchema } from '@mnemo/core';

/**
 * The shapes the API answers with, as zod schemas: the OpenAPI document is
 * generated from them, the routes' bodies are checked against them at
 * compile time (`satisfies`), and the integration tests validate every
 * answer against the document.
 */

const ERROR_CODES = Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]];

export const errorBodySchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'ErrorBody' });

export const errorEnvelopeSchema = z
  .object({
    status: z.literal('error'),
    error: errorBodySchema,
    timestamp: z.string(),
  })
  .meta({ id: 'Error', description: 'Every error: a code from the list, a message for people, details for programs.' });

/** A memory as the API shows it (the store's record without its owner and matching keys). */
export const memoryViewSchema = memorySchema.omit({ user_id: true, keys: true }).meta({ id: 'Memory' });

export const storeMemoriesCompletedSchema = z
  .object({
    success: z.literal(true),
    duplicate: z.boolean(),
    memories_created: z.number().int(),
    memories_merged: z.number().int(),
    memories_updated: z.number().int(),
    memories_superseded: z.number().int(),
    processing_time: z.string().meta({ example: '1.2s' }),
    categories_detected: z.array(z.string()),
    memories: z.array(storedMemorySummarySchema),
    job_id: z.string(),
  })
  .meta({ id: 'StoreMemoriesResult' });

export const storeMemoriesAcceptedSchema = z
  .object({
    success: z.literal(true),
    job_id: z.string(),
    status: z.string().meta({ description: 'BullMQ job state: waiting, active, delayed, prioritized, completed, failed' }),
    status_url: z.string(),
  })
  .meta({ id: 'JobAccepted' });

const batchErrorSchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const batchAcceptedSchema = z
  .object({
    success: z.literal(true),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.array(z.object({ index: z.number().int(), error: batchErrorSchema })),
    jobs: z.array(z.object({ index: z.number().int(), job_id: z.string(), duplicate: z.boolean() })),
  })
  .meta({ id: 'BatchAccepted' });

export const jobViewSchema = z
  .object({
    job_id: z.string(),
    status: z.string(),
    stage: z.enum([...STAGE_NAMES, 'done']).nullable(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    stalled: z.number().int(),
    stage_ms: z.partialRecord(z.enum(STAGE_NAMES), z.number()),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    result: ingestJobResultSchema.nullable(),
    error: errorBodySchema.nullable(),
  })
  .meta({ id: 'Job' });

export const jobStatusesSchema = z.object({
  jobs: z.array(
    z.object({
      job_id: z.string(),
      status: z.string(),
      memories_created: z.number().int().nullable().optional(),
      error: errorBodySchema.nullable().optional(),
    }),
  ),
});

export const searchHitSchema = z
  .object({
    id: z.string(),
    memory: z.string(),
    categories: z.array(z.string()),
    type: z.enum(MEMORY_TYPES),
    vector_distance: z.number().meta({
      description:
        'Cosine distance (0–1, lower is closer). Without rerank, never lower than that of a result above it, so it ascends down the list as MemSync clients expect; with rerank, the raw distance',
    }),
    raw_vector_distance: z.number().meta({ description: "The memory's own cosine distance to the query (0–1)" }),
    score: z.number().meta({ description: 'Fused relevance (vector, key and lexical matches); higher is better; the order without rerank' }),
    rerank_score: z.number().min(0).max(1).optional().meta({ description: 'With rerank: true, on every result, 0–1, higher is better; the order then' }),
    source: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    agent_id: z.string(),
    thread_id: z.string(),
    valid_until: z.string().nullable(),
    superseded_by: z.string().nullable(),
  })
  .meta({ id: 'SearchHit' });

export const searchResponseSchema = z
  .object({ user_bio: z.string().nullable(), memories: z.array(searchHitSchema) })
  .meta({ id: 'SearchResult' });

export const memoryListSchema = z
  .object({
    data: z.array(memoryViewSchema),
    pagination: z.object({
      page: z.number().int(),
      page_size: z.number().int(),
      total_items: z.number().int(),
      total_pages: z.number().int(),
      has_next: z.boolean(),
      has_previous: z.boolean(),
    }),
  })
  .meta({ id: 'MemoryList' });

export const memoryHistorySchema = z.object({
  memory_id: z.string(),
  events: z.array(
    z.object({
      memory_id: z.string(),
      event: z.enum(HISTORY_EVENTS),
      at: z.string(),
      job_id: z.string().nullable(),
      actor: z.string().nullable(),
      before: z.record(z.string(), z.unknown()).nullable(),
      after: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});

export const memoryDeletedSchema = z.object({ success: z.literal(true), deleted_id: z.string(), history_scrubbed: z.number().int().optional() });

export const batchDeletedSchema = z.object({
  success: z.literal(true),
  deleted_count: z.number().int(),
  deleted: z.array(z.string()),
  not_found: z.array(z.string()),
});

export const profileSchema = z
  .object({
    user_id: z.string(),
    user_bio: z.string(),
    bio_source: z.enum(['model', 'assembled']),
    profiles: z.record(
      z.string(),
      z.object({
        count: z.number().int(),
        top_memories: z.array(z.object({ id: z.string(), memory: z.string(), type: z.enum(MEMORY_TYPES), mentions: z.number().int() })),
      }),
    ),
    stats: z.object({
      total_memories: z.number().int(),
      by_category: z.record(z.string(), z.number().int()),
      by_type: z.record(z.string(), z.number().int()),
      date_range: z.object({ first_memory: z.string().nullable(), last_memory: z.string().nullable() }),
    }),
    generated_at: z.string(),
  })
  .meta({ id: 'UserProfile' });

export const categoriesSchema = z.object({
  categories: z.array(z.object({ name: z.string(), description: z.string(), builtin: z.boolean(), count: z.number().int() })),
});

const webhookViewSchema = webhookSchema.omit({ secret: true });

export const webhookCreatedSchema = webhookSchema.extend({ note: z.string() });
export const webhookListSchema = z.object({ webhooks: z.array(webhookViewSchema) });
export const webhookDeletedSchema = z.object({ success: z.literal(true), deleted_id: z.string() });

export const userErasedSchema = z.object({
  success: z.literal(true),
  user_id: z.string(),
  erased: z.object({
    memories: z.number().int(),
    ingest_jobs: z.number().int(),
    profile_jobs: z.number().int(),
    webhook_deliveries: z.number().int(),
    profile: z.boolean(),
  }),
  running_jobs: z.array(z.string()),
});

const probeSchema = z.object({ ok: z.boolean(), error: z.string().optional() });
export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ redis: probeSchema, store: probeSchema }),
});

/** The provenance entries of a memory (for clients that type them). */
export { memorySourceSchema };

/** The answers' types, as the routes build them (before JSON encoding). */
export type SearchResponse = z.input<typeof searchResponseSchema>;
export type StoreMemoriesCompleted = z.input<typeof storeMemoriesCompletedSchema>;
export type StoreMemoriesAccepted = z.input<typeof storeMemoriesAcceptedSchema>;
export type MemoryList = z.input<typeof memoryListSchema>;
export type BatchAccepted = z.input<typeof batchAcceptedSchema>;
