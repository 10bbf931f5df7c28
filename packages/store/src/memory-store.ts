import type { Memory, MemoryHistoryEvent, MemoryType } from '@mnemo/core';

/** A memory with its embedding, ready to be written. */
export interface MemoryToStore {
  /** provenance holds this one mention. */
  memory: Omit<Memory, 'mentions' | 'created_at' | 'updated_at' | 'last_seen_at'>;
  vector: number[];
}

export type UpsertOutcome = { status: 'created' | 'touched'; memory: Memory };

/** Narrows reads; every field is optional and they combine with AND. */
export interface MemoryFilter {
  /** Any of these categories. */
  categories?: string[];
  type?: MemoryType;
  agent_id?: string;
  thread_id?: string;
  /** ISO-8601 bounds on created_at, inclusive. */
  created_after?: string;
  created_before?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ListOptions {
  page: number;
  pageSize: number;
  filter?: MemoryFilter;
}

export interface SearchQuery {
  /** Embedding of the query text. */
  vector: number[];
  /** The query text itself, for lexical matching. */
  text: string;
  limit: number;
  filter?: MemoryFilter;
}

export interface SearchHit {
  memory: Memory;
  /** Cosine distance scaled to 0–1; lower is closer. */
  vector_distance: number;
  /** Fused rank score (vector and lexical); higher is better. */
  score: number;
}

export interface MemoryPatch {
  memory?: string;
  /** Required with memory: the new text's embedding. */
  vector?: number[];
  categories?: string[];
  type?: MemoryType;
}

export interface MemoryStats {
  total: number;
  by_category: Record<string, number>;
  by_type: Record<MemoryType, number>;
  first_memory: string | null;
  last_memory: string | null;
}

/**
 * The memory store port. Adapters: sqlite (embedded, default), qdrant.
 * Every read and write is scoped by user id; no call crosses users.
 */
export interface MemoryStore {
  readonly kind: string;
  /** Vector size the store was built for. */
  readonly dimension: number;
  /**
   * Idempotent: a memory whose id exists is touched (mentions + 1,
   * last_seen_at, the mention added to provenance) rather than duplicated;
   * the same job writing again is a replay. Returns one outcome per input, in order.
   */
  upsert(userId: string, items: MemoryToStore[], now: Date): Promise<UpsertOutcome[]>;
  /** Hybrid retrieval: vector similarity fused with lexical matching, best first. */
  search(userId: string, query: SearchQuery): Promise<SearchHit[]>;
  get(userId: string, id: string): Promise<Memory | null>;
  /** Newest first, stable across pages (ties broken by id). */
  list(userId: string, options: ListOptions): Promise<Page<Memory>>;
  /** Null when the user has no such memory. `actor` (an API key id) goes into the history. */
  update(userId: string, id: string, patch: MemoryPatch, now: Date, actor?: string): Promise<Memory | null>;
  /** Returns the ids that existed and were deleted; their history stays. */
  delete(userId: string, ids: string[], now?: Date, actor?: string): Promise<string[]>;
  /** Everything that happened to the user's memory, oldest first; empty for another user's. */
  history(userId: string, id: string): Promise<MemoryHistoryEvent[]>;
  count(userId: string, filter?: MemoryFilter): Promise<number>;
  stats(userId: string): Promise<MemoryStats>;
  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Reciprocal rank fusion constant: 60 is the value from the original RRF paper. */
export const RRF_K = 60;

/** Fuses ranked id lists: each list adds 1/(k + rank) to an id's score. */
export function reciprocalRankFusion(lists: string[][], k = RRF_K): Map<string, number> {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  }
  return scores;
}

const QUERY_STOPWORDS = new Set(
  'the and for with what does did user users who where when how about are was is of to in on at my me do an a their his her'.split(' '),
);

/** Words of a query worth matching lexically (letters and digits, 2+ chars, no stopwords). */
export function queryTerms(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words.filter((w) => !QUERY_STOPWORDS.has(w)))].slice(0, 32);
}

/** A write by a job that already wrote this memory: a retry, not a new mention. */
export function isReplay(existing: Memory, incoming: MemoryToStore): boolean {
  const jobId = incoming.memory.provenance[0]?.job_id;
  return existing.provenance.some((p) => p.job_id === jobId);
}

/** The content fields a history entry shows before and after a change. */
export function contentOf(memory: Memory): Record<string, unknown> {
  return { memory: memory.memory, categories: memory.categories, type: memory.type, event_time: memory.event_time };
}

/** History entries for an upsert outcome (a replay writes none). */
export function upsertEvent(outcome: UpsertOutcome, before: Memory | null, at: string): MemoryHistoryEvent | null {
  const { memory } = outcome;
  const mention = memory.provenance.at(-1)!;
  if (outcome.status === 'created') {
    if (before) return null; // replay
    return { memory_id: memory.id, event: 'created', at, job_id: mention.job_id, actor: null, before: null, after: contentOf(memory) };
  }
  return {
    memory_id: memory.id,
    event: 'mentioned',
    at,
    job_id: mention.job_id,
    actor: null,
    before: { mentions: memory.mentions - 1 },
    after: { mentions: memory.mentions, thread_id: mention.thread_id, message_ids: mention.message_ids },
  };
}
