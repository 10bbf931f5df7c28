import type { Memory } from '@mnemo/core';

/** A memory with its embedding, ready to be written. */
export interface MemoryToStore {
  memory: Omit<Memory, 'mentions' | 'created_at' | 'updated_at'>;
  vector: number[];
}

export type UpsertOutcome = { status: 'created' | 'touched'; memory: Memory };

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ListOptions {
  page: number;
  pageSize: number;
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
   * updated_at) rather than duplicated. Returns one outcome per input, in order.
   */
  upsert(userId: string, items: MemoryToStore[], now: Date): Promise<UpsertOutcome[]>;
  get(userId: string, id: string): Promise<Memory | null>;
  list(userId: string, options: ListOptions): Promise<Page<Memory>>;
  count(userId: string): Promise<number>;
  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
