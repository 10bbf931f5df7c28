import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { v5 as uuidv5 } from 'uuid';

/** Namespace for memory ids; changing it would re-key every stored memory. */
const MEMORY_NAMESPACE = '6f1c2d0e-8a4b-5c3d-9e7f-1a2b3c4d5e6f';

/** Case, spacing and final punctuation do not make a different fact. */
export function normaliseFact(fact: string): string {
  return fact.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').replace(/[\s.!?]+$/, '').trim();
}

/** Deterministic: the same fact for the same user always has the same id, so upserts are idempotent. */
export function memoryId(userId: string, fact: string): string {
  return uuidv5(`${userId}\u0000${normaliseFact(fact)}`, MEMORY_NAMESPACE);
}

/** A UUID that is always the same for the same parts: ids of records derived from others. */
export function stableUuid(...parts: string[]): string {
  return uuidv5(parts.join('\u0000'), MEMORY_NAMESPACE);
}

function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex').slice(0, 32);
}

/**
 * Job id for an ingest request: from the client's Idempotency-Key when given,
 * else from the content, so a resubmitted conversation maps to the same job.
 * Scoped by user so two users can never collide on (or probe) each other's jobs.
 */
export function ingestJobId(userId: string, body: unknown, idempotencyKey?: string): string {
  return idempotencyKey
    ? `ik-${digest(userId, 'key', idempotencyKey)}`
    : `ch-${digest(userId, 'body', stringify(body) ?? '')}`;
}

/**
 * What a job's conversation is, as a digest kept in the clear beside a
 * possibly sealed payload: a request that reuses an Idempotency-Key with
 * another body is told so, and a failed job's checkpoint is reused only for
 * the same conversation.
 */
export function conversationDigest(userId: string, conversation: unknown): string {
  return digest(userId, 'conversation', stringify(conversation) ?? '');
}
