import { z } from 'zod';
import { CONVERSATION_MAX_MESSAGES, MESSAGE_MAX_CHARS } from './conversation-limits';

/** Control characters have no place in an id; in text only tab and line breaks do. */
const NO_CONTROLS = /^[^\p{Cc}]*$/u;
const TEXT_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Keys that could reach an object's prototype if copied by assignment: refused wherever they appear. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const METADATA_MAX_BYTES = 16_384;
export const METADATA_MAX_DEPTH = 5;

/** The first problem with free-form metadata: an unsafe key, too deep, or too big; null when fine. */
function metadataProblem(value: unknown, depth = 1): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (depth > METADATA_MAX_DEPTH) return `nests deeper than ${METADATA_MAX_DEPTH} levels`;
  for (const key of Object.keys(value)) {
    if (UNSAFE_KEYS.has(key)) return `key "${key}" is not allowed`;
    const problem = metadataProblem((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** MemSync's store-memories body. The zod schema is the type. */
export const messageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  // Stray control characters (a NUL from a broken export) are dropped, not stored.
  content: z
    .string()
    .transform((text) => text.replace(TEXT_CONTROLS, ''))
    .pipe(z.string().trim().min(1, 'must not be empty').max(MESSAGE_MAX_CHARS)),
  /** Optional client-side message id, kept as provenance. */
  id: z.string().max(256).regex(NO_CONTROLS, 'must not contain control characters').optional(),
  /** Optional ISO-8601 time the message was sent. */
  timestamp: z.iso.datetime({ offset: true }).optional(),
});
export type Message = z.infer<typeof messageSchema>;

const idString = z.string().trim().min(1, 'must not be empty').max(256).regex(NO_CONTROLS, 'must not contain control characters');

/**
 * The acting-user parameter (user_id in a body or a query string), the
 * same on every route: trimmed, 1 to 256 characters, no control characters.
 */
export const userIdSchema = idString;

// Checked before zod copies the object: zod assigns keys, and an assigned __proto__ would change the copy's prototype.
export const metadataSchema = z.preprocess(
  (value, ctx) => {
    const problem = metadataProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    else if (value !== undefined && JSON.stringify(value).length > METADATA_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON` });
    }
    return value;
  },
  z
    .object({
      timestamp: z.iso.datetime({ offset: true }).optional(),
      platform: z.string().max(256).optional(),
      session_id: z.string().max(256).optional(),
    })
    .catchall(z.unknown()),
);
export type ConversationMetadata = z.infer<typeof metadataSchema>;

export const storeMemoriesRequestSchema = z.object({
  messages: z.array(messageSchema).min(1, 'must contain at least one message').max(CONVERSATION_MAX_MESSAGES),
  agent_id: idString,
  thread_id: idString,
  source: idString,
  metadata: metadataSchema.optional(),
  /** Only a service key may name the user it acts for. */
  user_id: userIdSchema.optional(),
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
