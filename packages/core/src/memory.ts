import { z } from 'zod';
import { MEMORY_TYPES } from './memory-types';

/** One mention of a fact: which conversation, which messages, when. */
export const memorySourceSchema = z.object({
  job_id: z.string(),
  thread_id: z.string(),
  agent_id: z.string(),
  source: z.string(),
  /** Client-given message ids, or their indexes in the request. */
  message_ids: z.array(z.string()),
  seen_at: z.string(),
});
export type MemorySource = z.infer<typeof memorySourceSchema>;

/** A stored memory, as the store holds it and the API returns it. */
export const memorySchema = z.object({
  id: z.uuid(),
  user_id: z.string(),
  memory: z.string(),
  categories: z.array(z.string().min(1).max(64)),
  type: z.enum(MEMORY_TYPES),
  /** For episodic memories: when the event happens or happened (ISO-8601). */
  event_time: z.string().nullable(),
  agent_id: z.string(),
  thread_id: z.string(),
  source: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** How often this fact has been seen; a re-stated fact touches, not duplicates. */
  mentions: z.number().int(),
  /** When the fact was last stated (updated_at changes only with the content). */
  last_seen_at: z.string(),
  /** Where the fact came from: every mention, oldest first (the first and the latest ones when many). */
  provenance: z.array(memorySourceSchema).min(1),
  /**
   * Single-valued attributes the memory states (home_city, employer, ...): a
   * later fact with another value for one of them supersedes this memory.
   */
  attributes: z.array(z.string()).default([]),
  /** When a later fact contradicted this one; null while it is current. */
  valid_until: z.string().nullable().default(null),
  /** The memory that replaced this one. */
  superseded_by: z.string().nullable().default(null),
  /**
   * Retrieval keys: the text of the messages the memory came from, so a
   * detail its wording dropped still finds it. Internal: the API does not
   * show them, and they go away with the memory.
   */
  keys: z.array(z.string()).default([]),
});
export type Memory = z.infer<typeof memorySchema>;

/** The most mentions a memory keeps in its provenance: the first, and the latest ones. */
export const MAX_PROVENANCE = 50;

/** The most retrieval keys a memory keeps: the first, and the latest ones. */
export const MAX_KEYS = 8;

/** Adds retrieval keys not held yet, keeping the first and the most recent ones. */
export function withKeys(keys: string[], added: string[]): string[] {
  const all = [...keys, ...added.filter((k, i) => !keys.includes(k) && added.indexOf(k) === i)];
  return all.length <= MAX_KEYS ? all : [all[0]!, ...all.slice(all.length - (MAX_KEYS - 1))];
}

/** Adds a mention, keeping the first one and the most recent ones. */
export function withMention(provenance: MemorySource[], mention: MemorySource): MemorySource[] {
  const all = [...provenance, mention];
  return all.length <= MAX_PROVENANCE ? all : [all[0]!, ...all.slice(all.length - (MAX_PROVENANCE - 1))];
}

/**
 * What happened to a memory. merged: the fact was stated again (in the same
 * or other words); updated: its content changed (a refinement or an edit);
 * superseded: a later fact contradicted it; restored: a superseded fact
 * became true again.
 */
export const HISTORY_EVENTS = ['created', 'merged', 'updated', 'superseded', 'restored', 'deleted'] as const;
export type HistoryEventName = (typeof HISTORY_EVENTS)[number];

/** One entry of a memory's audit trail. */
export const memoryHistoryEventSchema = z.object({
  memory_id: z.string(),
  // Stores written before reconciliation called a merge "mentioned".
  event: z.preprocess((e) => (e === 'mentioned' ? 'merged' : e), z.enum(HISTORY_EVENTS)),
  at: z.string(),
  /** The ingest job that caused it, for pipeline writes. */
  job_id: z.string().nullable(),
  /** The API key (its id) that caused it, for API edits. */
  actor: z.string().nullable(),
  /** The fields that changed, before and after; null where there was no memory. */
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
});
export type MemoryHistoryEvent = z.infer<typeof memoryHistoryEventSchema>;
