import { z } from 'zod';

/** MemSync's store-memories body. The zod schema is the type. */
export const messageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string().trim().min(1, 'must not be empty').max(100_000),
  /** Optional client-side message id, kept as provenance. */
  id: z.string().max(256).optional(),
  /** Optional ISO-8601 time the message was sent. */
  timestamp: z.iso.datetime({ offset: true }).optional(),
});
export type Message = z.infer<typeof messageSchema>;

const idString = z.string().trim().min(1, 'must not be empty').max(256);

export const metadataSchema = z
  .object({
    timestamp: z.iso.datetime({ offset: true }).optional(),
    platform: z.string().max(256).optional(),
    session_id: z.string().max(256).optional(),
  })
  .catchall(z.unknown());
export type ConversationMetadata = z.infer<typeof metadataSchema>;

export const storeMemoriesRequestSchema = z.object({
  messages: z.array(messageSchema).min(1, 'must contain at least one message').max(1_000),
  agent_id: idString,
  thread_id: idString,
  source: idString,
  metadata: metadataSchema.optional(),
  /** Only a service key may name the user it acts for. */
  user_id: idString.optional(),
});
export type StoreMemoriesRequest = z.infer<typeof storeMemoriesRequestSchema>;

/** A conversation as the pipeline receives it: the request without routing fields. */
export type Conversation = Omit<StoreMemoriesRequest, 'user_id'>;

/** One conversation of POST /v1/memories/batch: the store-memories body and its own idempotency key. */
export const batchItemSchema = storeMemoriesRequestSchema.extend({
  /** Same role as the Idempotency-Key header: the same key never runs twice. */
  idempotency_key: z.string().trim().min(1).max(255).optional(),
});
export type BatchItem = z.infer<typeof batchItemSchema>;
