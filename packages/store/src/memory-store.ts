import { STOPWORDS, type Memory, type MemoryHistoryEvent, type MemoryType } from '@mnemo/core';

/** A memory with its embedding, ready to be written. */
export interface MemoryToStore {
  /** provenance holds this one mention; keys, this mention's source texts. */
  memory: Omit<Memory, 'mentions' | 'created_at' | 'updated_at' | 'last_seen_at' | 'valid_until' | 'superseded_by' | 'keys'> & { keys?: string[] };
  vector: number[];
  /** One embedding per entry of memory.keys, in order. */
  keyVectors?: number[][];
  /**
   * When the conversation stating it took place (an imported 2023 chat), if
   * earlier than the write: a new memory's created_at and every memory's
   * last_seen_at. The write's own time stays updated_at and the history's time.
   */
  observedAt?: string;
}

/** A retrieval key with its embedding. */
export interface MemoryKey {
  text: string;
  vector: number[];
}

/**
 * One reconciled fact to write.
 * - create: a new memory under the item's id. If that id exists the fact
 *   was stated again: it gains a mention (and is restored if superseded).
 * - merge: the same fact as `target`, which gains the mention.
 * - refine: a more specific wording of `target`, which takes the item's
 *   content and vector and keeps its id.
 * A merge or refine whose target no longer exists creates instead.
 */
export interface MemoryWrite {
  action: 'create' | 'merge' | 'refine';
  item: MemoryToStore;
  target?: string;
  /** Current memories this fact contradicts: closed (valid_until, superseded_by). */
  supersedes?: string[];
}

/** What one job's write did, by memory. */
export interface WriteResult {
  /** The job had been written before: nothing changed; the lists are its first write's. */
  replayed: boolean;
  created: Memory[];
  merged: Memory[];
  updated: Memory[];
  superseded: Memory[];
}

/** The ids a job's write touched, kept so the same job never writes twice. */
export interface AppliedJob {
  job_id: string;
  at: string;
  created: string[];
  merged: string[];
  updated: string[];
  superseded: string[];
}

/**
 * The writer's lease on the user's memories. A store that can check it in
 * the same transaction as the write refuses a token older than one it has
 * seen (fencing); others re-check the lease just before writing.
 */
export interface WriteLease {
  token: number;
  assertHeld(): Promise<void>;
}

/** A write refused because a newer lease holder has written since: the job retries. */
export class StaleLeaseError extends Error {
  override name = 'StaleLeaseError';
}

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
  /** Memories stating any of these single-valued attributes. */
  attributes?: string[];
  /** Superseded memories are left out unless this is true. */
  include_superseded?: boolean;
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
  /**
   * Also match the retrieval keys, by vector and by word (default true).
   * Reconciliation compares a fact with memories, not with the messages
   * behind them, and skips them, which halves the cost of its searches.
   */
  keys?: boolean;
}

export interface SearchHit {
  memory: Memory;
  /** Cosine distance of the memory's own vector, scaled to 0–1; lower is closer. */
  vector_distance: number;
  /** The closest of its keys' vectors, scaled the same way; null where the store has none. */
  key_distance: number | null;
  /** Lexical match over the text and keys, 0–1 (SQLite: BM25 s as s/(s+1); Qdrant: share of query words matched); 0 for none. */
  lexical: number;
  /** Fused rank score (vector, key and lexical lists); higher is better. */
  score: number;
}

/**
 * What reconciliation compares one new fact with: its `nearest` current
 * memories as `search` ranks them with keys left out (vector and wording
 * fused), and the `sameAttribute` newest current memories stating any of
 * its attributes.
 */
export interface CandidateQuery {
  vector: number[];
  text: string;
  attributes: string[];
  nearest: number;
  sameAttribute: number;
}

/** Only what reconciliation reads of a memory: not its provenance, keys or history. */
export type CandidateMemory = Pick<Memory, 'id' | 'memory' | 'type' | 'event_time'>;

export interface CandidateSet {
  /** Best first, each with its scaled vector distance as in SearchHit. */
  nearest: { memory: CandidateMemory; vector_distance: number }[];
  /** Newest first, as `list` orders them. */
  sameAttribute: CandidateMemory[];
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
   * Writes one job's reconciled facts, with their history, and records the
   * job as applied: the same job writing again changes nothing (a replay).
   */
  write(userId: string, jobId: string, writes: MemoryWrite[], now: Date, lease?: WriteLease): Promise<WriteResult>;
  /** The record of a job's write, or null if the job has not written for this user. */
  appliedJob(userId: string, jobId: string): Promise<AppliedJob | null>;
  /** Hybrid retrieval: vector similarity fused with lexical matching, best first. Current memories unless the filter says otherwise. */
  search(userId: string, query: SearchQuery): Promise<SearchHit[]>;
  /**
   * Reconciliation's candidates for every fact of a job, in one call: the
   * same memories `search` (keys: false) and `list` (attributes filter)
   * would give for each query, read without the columns reconciliation
   * does not use.
   */
  candidates(userId: string, queries: CandidateQuery[]): Promise<CandidateSet[]>;
  /** Superseded memories too. */
  get(userId: string, id: string): Promise<Memory | null>;
  /** Newest first, stable across pages (ties broken by id). */
  list(userId: string, options: ListOptions): Promise<Page<Memory>>;
  /** Null when the user has no such memory. `actor` (an API key id) goes into the history. */
  update(userId: string, id: string, patch: MemoryPatch, now: Date, actor?: string): Promise<Memory | null>;
  /** Returns the ids that existed and were deleted; their history stays. */
  delete(userId: string, ids: string[], now?: Date, actor?: string): Promise<string[]>;
  /** Everything that happened to the user's memory, oldest first; empty for another user's. */
  history(userId: string, id: string): Promise<MemoryHistoryEvent[]>;
  /**
   * Erasure: removes every memory of the user with its vectors, the history
   * of all of them (deleted ones too) and the records of the jobs that wrote
   * them. Returns how many current or superseded memories there were.
   */
  eraseUser(userId: string): Promise<{ memories: number }>;
  /**
   * Removes the texts (`before`, `after`) from one memory's history, keeping
   * each event, its time, job and actor. Returns the events scrubbed; 0 for
   * another user's memory.
   */
  scrubHistory(userId: string, id: string): Promise<number>;
  count(userId: string, filter?: MemoryFilter): Promise<number>;
  stats(userId: string): Promise<MemoryStats>;
  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What made a store's vectors: the embedder's name and its vector size. */
export interface EmbedderSignature {
  embedder: string;
  dimension: number;
}

/** One text (a memory's wording or one of its keys) whose vector a rebuild still has to make. */
export interface RebuildItem {
  source: 'memory' | 'key';
  /** The adapter's own reference to the memory or key; opaque to callers. */
  ref: string;
  text: string;
}

export interface RebuildProgress {
  /** Vectors the store needs: one per memory and one per key. */
  total: number;
  /** Of those, already built for the target. */
  done: number;
  /** True when this picked up a rebuild toward the same target left unfinished. */
  resumed: boolean;
}

/**
 * Re-embedding a store in place (`mnemo reembed`). New vectors are built
 * beside the live ones, which keep answering searches; progress survives a
 * crash, since every saved batch is durable; `finish` switches every vector
 * at once and records the new embedder, so the store is never trusted half
 * one embedder and half the other.
 */
export interface VectorRebuild {
  builtWith(): Promise<EmbedderSignature>;
  /** Starts a rebuild toward `target`, or resumes one toward the same target; one toward another target is discarded. */
  begin(target: EmbedderSignature): Promise<RebuildProgress>;
  /** Up to `limit` texts still without a vector of the target (also ones whose wording changed since). */
  pending(limit: number): Promise<RebuildItem[]>;
  /** Keeps a batch of new vectors; all or none of the batch is kept. */
  save(built: { item: RebuildItem; vector: number[] }[]): Promise<void>;
  /** Switches to the new vectors and records the target, in one step; false (and nothing changed) while texts are pending. */
  finish(): Promise<boolean>;
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



/** Words of a query worth matching lexically (letters and digits, 2+ chars, no stopwords). */
export function queryTerms(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words.filter((w) => !STOPWORDS.has(w)))].slice(0, 32);
}

/** The content fields a history entry shows before and after a change. */
export function contentOf(memory: Memory): Record<string, unknown> {
  return { memory: memory.memory, categories: memory.categories, type: memory.type, event_time: memory.event_time };
}
