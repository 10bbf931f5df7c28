import type * as QdrantModule from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };
import { randomUUID } from 'node:crypto';
import { MEMORY_TYPES, MnemoError, memoryHistoryEventSchema, memorySchema, stableUuid, type Memory, type MemoryHistoryEvent } from '@mnemo/core';
import {
  contentOf,
  queryTerms,
  reciprocalRankFusion,
  type AppliedJob,
  type CandidateQuery,
  type CandidateSet,
  type ListOptions,
  type MemoryFilter,
  type MemoryPatch,
  type MemoryStats,
  type MemoryStore,
  type MemoryWrite,
  type Page,
  type SearchHit,
  type SearchQuery,
  type WriteLease,
  type WriteResult,
} from './memory-store';
import { appliedIds, idsToRead, planWrites, replayResult } from './write-plan';

// The package ships a CommonJS build, but its type declarations are ESM-only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { QdrantClient: QdrantClientClass } = require('@qdrant/js-client-rest') as typeof QdrantModule;

type Filter = Schemas['Filter'];
type Condition = Schemas['FieldCondition'];

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  dimension: number;
  /** Cluster layout, applied when the collection is created. */
  shardNumber?: number;
  replicationFactor?: number;
  writeConsistencyFactor?: number;
}

/** Keyword payload indexes besides the tenant one; filters use each of them. */
const KEYWORD_FIELDS = ['agent_id', 'thread_id', 'categories', 'type', 'attributes'] as const;
const CANDIDATES_PER_RESULT = 4;
const MIN_CANDIDATES = 50;

function toMemory(id: string | number, payload: Record<string, unknown> | null | undefined): Memory {
  return memorySchema.parse({ ...payload, id: String(id) });
}

/** Qdrant parses UUID point ids and answers them in lowercase: an id given in uppercase must be read, matched and reported as that. */
function pointId(id: string): string {
  return id.toLowerCase();
}

function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / (Math.sqrt(na * nb) || 1);
}

/**
 * Qdrant adapter: one collection for all users, user_id as a tenant-indexed
 * payload field. Every read and write carries the user filter (or checks
 * the owner of points addressed by id), so no call can cross users. Writes
 * wait for the write to be applied (`wait: true`) before answering.
 */
export class QdrantMemoryStore implements MemoryStore {
  readonly kind = 'qdrant';
  readonly dimension: number;
  private readonly client: QdrantClient;
  private readonly collection: string;
  /** Audit trail and applied-job records, in their own collection: they outlive the points they describe. */
  private readonly historyCollection: string;
  /** Orders history events written in the same millisecond. */
  private sequence = 0;

  private constructor(client: QdrantClient, options: QdrantStoreOptions) {
    this.client = client;
    this.collection = options.collection;
    this.historyCollection = `${options.collection}_history`;
    this.dimension = options.dimension;
  }

  /** Connects, and creates the collection and its payload indexes when missing. */
  static async open(options: QdrantStoreOptions): Promise<QdrantMemoryStore> {
    // The client compares its version with the server's (GET /) and warns on a mismatch: they are pinned together.
    const client = new QdrantClientClass({ url: options.url, apiKey: options.apiKey, checkCompatibility: true, timeout: 30_000 });
    const store = new QdrantMemoryStore(client, options);
    await store.ensureCollection(options);
    return store;
  }

  private async ensureCollection(options: QdrantStoreOptions): Promise<void> {
    const { exists } = await this.client.collectionExists(this.collection);
    const created = !exists && (await this.createCollection(this.collection, this.dimension, options));
    if (!created) {
      const info = await this.client.getCollection(this.collection);
      const vectors = info.config.params.vectors as { size?: number } | undefined;
      if (vectors?.size !== undefined && vectors.size !== this.dimension) {
        throw new Error(
          `Qdrant collection "${this.collection}" holds ${vectors.size}-dimensional vectors, but the embedder ` +
            `produces ${this.dimension}. Use another MNEMO_QDRANT_COLLECTION or the original embedder.`,
        );
      }
    }
    // Creating an index that exists is a no-op in Qdrant, so this also repairs a half-made collection.
    await this.client.createPayloadIndex(this.collection, {
      field_name: 'user_id',
      field_schema: { type: 'keyword', is_tenant: true },
      wait: true,
    });
    for (const field of KEYWORD_FIELDS) {
      await this.client.createPayloadIndex(this.collection, { field_name: field, field_schema: 'keyword', wait: true });
    }
    await this.client.createPayloadIndex(this.collection, { field_name: 'created_at', field_schema: 'datetime', wait: true });
    // Every default read filters on is_empty(valid_until); under strict mode Qdrant refuses a filter on an unindexed key.
    await this.client.createPayloadIndex(this.collection, { field_name: 'valid_until', field_schema: 'datetime', wait: true });
    // The wording and the retrieval keys (source messages) are both matched lexically.
    for (const field of ['memory', 'keys']) {
      await this.client.createPayloadIndex(this.collection, {
        field_name: field,
        field_schema: { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2 },
        wait: true,
      });
    }

    if (!(await this.client.collectionExists(this.historyCollection)).exists) {
      // Qdrant collections need a vector; history entries carry a 1-dimensional placeholder.
      await this.createCollection(this.historyCollection, 1, options);
    }
    await this.client.createPayloadIndex(this.historyCollection, {
      field_name: 'user_id',
      field_schema: { type: 'keyword', is_tenant: true },
      wait: true,
    });
    await this.client.createPayloadIndex(this.historyCollection, { field_name: 'memory_id', field_schema: 'keyword', wait: true });
  }

  /** Where a job's applied record lives: one point per user and job. */
  private appliedPointId(userId: string, jobId: string): string {
    return stableUuid('applied-job', userId, jobId);
  }

  /**
   * Cosine vectors of the given size, laid out across the cluster as configured.
   * False when the collection exists already: another process opening the same
   * fresh collection created it between our existence check and this call (Qdrant answers 409).
   */
  private async createCollection(name: string, size: number, options: QdrantStoreOptions): Promise<boolean> {
    try {
      await this.client.createCollection(name, {
        vectors: { size, distance: 'Cosine' },
        shard_number: options.shardNumber,
        replication_factor: options.replicationFactor,
        write_consistency_factor: options.writeConsistencyFactor,
      });
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 409) return false;
      throw err;
    }
  }

  private async record(userId: string, events: (MemoryHistoryEvent | null)[]): Promise<void> {
    const points = events
      .filter((e): e is MemoryHistoryEvent => e !== null)
      .map((event) => ({ id: randomUUID(), vector: [1], payload: { ...event, user_id: userId, seq: Date.now() * 1000 + (this.sequence++ % 1000) } }));
    if (points.length > 0) await this.client.upsert(this.historyCollection, { points, wait: true });
  }

  async history(userId: string, id: string): Promise<MemoryHistoryEvent[]> {
    id = pointId(id);
    const { points } = await this.client.scroll(this.historyCollection, {
      filter: { must: [{ key: 'user_id', match: { value: userId } }, { key: 'memory_id', match: { value: id } }] },
      limit: 10_000,
      with_payload: true,
    });
    return points
      .map((p) => p.payload as Record<string, unknown>)
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((payload) => memoryHistoryEventSchema.parse(payload));
  }

  async eraseUser(userId: string): Promise<{ memories: number }> {
    const everything = this.filter(userId, { include_superseded: true });
    const { count } = await this.client.count(this.collection, { filter: everything, exact: true });
    await this.client.delete(this.collection, { filter: everything, wait: true });
    // History entries and applied-job records alike carry the user id.
    await this.client.delete(this.historyCollection, { filter: { must: [{ key: 'user_id', match: { value: userId } }] }, wait: true });
    return { memories: count };
  }

  async scrubHistory(userId: string, id: string): Promise<number> {
    id = pointId(id);
    const filter: Filter = { must: [{ key: 'user_id', match: { value: userId } }, { key: 'memory_id', match: { value: id } }] };
    const { count } = await this.client.count(this.historyCollection, { filter, exact: true });
    if (count > 0) await this.client.setPayload(this.historyCollection, { payload: { before: null, after: null }, filter, wait: true });
    return count;
  }

  private filter(userId: string, filter: MemoryFilter = {}, extra: Condition[] = []): Filter {
    const must: Condition[] = [{ key: 'user_id', match: { value: userId } }];
    // is_empty also matches points written before valid_until existed.
    if (!filter.include_superseded) must.push({ is_empty: { key: 'valid_until' } } as unknown as Condition);
    for (const key of ['categories', 'attributes'] as const) {
      const values = filter[key];
      if (values?.length) must.push({ key, match: { any: values } });
    }
    for (const key of ['type', 'agent_id', 'thread_id'] as const) {
      const value = filter[key];
      if (value !== undefined) must.push({ key, match: { value } });
    }
    if (filter.created_after || filter.created_before) {
      must.push({ key: 'created_at', range: { gte: filter.created_after, lte: filter.created_before } });
    }
    return { must: [...must, ...extra] };
  }

  private checkVector(vector: number[]): void {
    if (vector.length !== this.dimension) {
      throw new MnemoError('PROCESSING_ERROR', `vector has ${vector.length} dimensions, store expects ${this.dimension}`);
    }
  }

  /** The user's points among these ids; points of other users are treated as absent. */
  private async owned(userId: string, ids: string[], withVector = false): Promise<Map<string, Schemas['Record']>> {
    if (ids.length === 0) return new Map();
    const records = await this.client.retrieve(this.collection, { ids, with_payload: true, with_vector: withVector });
    return new Map(records.filter((r) => r.payload?.user_id === userId).map((r) => [String(r.id), r]));
  }

  /**
   * Qdrant has no transactions or conditional writes: the lease is checked
   * just before writing, the memories go in one upsert, and the applied-job
   * record goes last, so an attempt cut short is finished by the retry (the
   * plan skips memories this job already wrote).
   */
  async write(userId: string, jobId: string, writes: MemoryWrite[], now: Date, lease?: WriteLease): Promise<WriteResult> {
    for (const { item } of writes) {
      if (item.memory.user_id !== userId) throw new Error('memory user_id does not match the store call');
      this.checkVector(item.vector);
    }
    const applied = await this.appliedJob(userId, jobId);
    if (applied) return replayResult(applied, await this.memories(userId, appliedIds(applied)));
    const existing = await this.owned(userId, idsToRead(writes), true);
    const plan = planWrites(jobId, writes, new Map([...existing].map(([id, r]) => [id, toMemory(id, r.payload)])), now);
    const points: Schemas['PointStruct'][] = [...plan.changed.values()].map(({ memory, vector }) => {
      const { id, ...payload } = memory;
      return { id, vector: vector ?? (existing.get(id)!.vector as number[]), payload };
    });
    await lease?.assertHeld();
    if (points.length > 0) await this.client.upsert(this.collection, { points, wait: true });
    await this.record(userId, plan.events);
    await this.client.upsert(this.historyCollection, {
      points: [{ id: this.appliedPointId(userId, jobId), vector: [1], payload: { kind: 'applied_job', user_id: userId, ...plan.applied } }],
      wait: true,
    });
    return plan.result;
  }

  async appliedJob(userId: string, jobId: string): Promise<AppliedJob | null> {
    const [record] = await this.client.retrieve(this.historyCollection, { ids: [this.appliedPointId(userId, jobId)], with_payload: true });
    if (!record || record.payload?.user_id !== userId) return null;
    const { job_id, at, created, merged, updated, superseded } = record.payload as unknown as AppliedJob;
    return { job_id, at, created, merged, updated, superseded };
  }

  private async memories(userId: string, ids: string[]): Promise<Map<string, Memory>> {
    const records = await this.owned(userId, ids);
    return new Map([...records].map(([id, r]) => [id, toMemory(id, r.payload)]));
  }

  async search(userId: string, { vector, text, limit, filter, keys = true }: SearchQuery): Promise<SearchHit[]> {
    this.checkVector(vector);
    const pool = Math.max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT);
    const byVector = await this.client.query(this.collection, {
      query: vector,
      filter: this.filter(userId, filter),
      limit: pool,
      with_payload: true,
    });
    const distances = new Map<string, number>();
    const memories = new Map<string, Memory>();
    for (const point of byVector.points) {
      memories.set(String(point.id), toMemory(point.id, point.payload));
      distances.set(String(point.id), 1 - point.score);
    }

    // Lexical side: points whose text or keys hold any query word, re-scored here by how many words they hold.
    const terms = queryTerms(text);
    let lexical: string[] = [];
    const lexicalScore = new Map<string, number>();
    if (terms.length > 0) {
      const base = this.filter(userId, filter);
      const matched = await this.client.scroll(this.collection, {
        filter: { ...base, should: terms.flatMap((t) => (keys ? ['memory', 'keys'] : ['memory']).map((key) => ({ key, match: { text: t } }))) },
        limit: pool,
        with_payload: true,
        with_vector: true,
      });
      const scored = matched.points.map((point) => {
        const memory = toMemory(point.id, point.payload);
        const own = new Set(memory.memory.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []);
        const keyed = new Set(keys ? (memory.keys.join(' ').toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []) : []);
        memories.set(memory.id, memory);
        if (!distances.has(memory.id)) distances.set(memory.id, cosineDistance(vector, point.vector as number[]));
        // A word of the wording counts for more than one only in the keys, as in the SQLite store's BM25 weights.
        const hits = terms.reduce((sum, t) => sum + (own.has(t) ? 1 : keyed.has(t) ? 0.6 : 0), 0);
        return { id: memory.id, hits };
      });
      lexical = scored.sort((a, b) => b.hits - a.hits).map((s) => s.id);
      // The share of the query's words matched: comparable across searches, like the SQLite store's saturating BM25.
      for (const s of scored) lexicalScore.set(s.id, s.hits / terms.length);
    }

    const fused = reciprocalRankFusion([byVector.points.map((p) => String(p.id)), lexical]);
    return [...fused.entries()]
      .sort((a, b) => b[1] - a[1] || distances.get(a[0])! - distances.get(b[0])!)
      .slice(0, limit)
      .map(([id, score]) => ({
        memory: memories.get(id)!,
        vector_distance: Math.min(1, Math.max(0, distances.get(id)! / 2)),
        // Key vectors are kept by the SQLite store only; here keys are matched lexically.
        key_distance: null,
        lexical: lexicalScore.get(id) ?? 0,
        score,
      }));
  }

  /** One search and one list per query, concurrently: Qdrant's round trips overlap. */
  async candidates(userId: string, queries: CandidateQuery[]): Promise<CandidateSet[]> {
    const pick = ({ id, memory, type, event_time }: Memory) => ({ id, memory, type, event_time });
    return Promise.all(
      queries.map(async (q) => {
        const [hits, stating] = await Promise.all([
          this.search(userId, { vector: q.vector, text: q.text, limit: q.nearest, keys: false }),
          q.attributes.length > 0 ? this.list(userId, { page: 1, pageSize: q.sameAttribute, filter: { attributes: q.attributes } }) : { items: [] },
        ]);
        return {
          nearest: hits.map((h) => ({ memory: pick(h.memory), vector_distance: h.vector_distance })),
          sameAttribute: stating.items.map(pick),
        };
      }),
    );
  }

  async get(userId: string, id: string): Promise<Memory | null> {
    id = pointId(id);
    const record = (await this.owned(userId, [id])).get(id);
    return record ? toMemory(id, record.payload) : null;
  }

  async list(userId: string, { page, pageSize, filter }: ListOptions): Promise<Page<Memory>> {
    // Qdrant pages an ordered scroll by value, not by offset: read up to the end of the page.
    // Its order is the one source of the tie order, (created_at, id) both descending: re-sorting
    // what was read would reorder a tie group cut at the limit, and pages would skip and repeat.
    const { points } = await this.client.scroll(this.collection, {
      filter: this.filter(userId, filter),
      limit: page * pageSize,
      order_by: { key: 'created_at', direction: 'desc' },
      with_payload: true,
    });
    const items = points.slice((page - 1) * pageSize).map((p) => toMemory(p.id, p.payload));
    return { items, total: await this.count(userId, filter) };
  }

  async update(userId: string, id: string, patch: MemoryPatch, now: Date, actor?: string): Promise<Memory | null> {
    if (patch.memory !== undefined && !patch.vector) throw new Error('a new memory text needs its vector');
    if (patch.vector) this.checkVector(patch.vector);
    id = pointId(id);
    const record = (await this.owned(userId, [id])).get(id);
    if (!record) return null;
    const current = toMemory(id, record.payload);
    const updated: Memory = {
      ...current,
      memory: patch.memory ?? current.memory,
      categories: patch.categories ?? current.categories,
      type: patch.type ?? current.type,
      // A lasting fact has no event time.
      event_time: patch.type === 'semantic' ? null : current.event_time,
      updated_at: now.toISOString(),
    };
    // Addressed by a filter only: given point ids as well, Qdrant ignores the filter, and the
    // user condition is what keeps a write from crossing users. Superseded memories are
    // editable, as get returns them.
    const mine = this.filter(userId, { include_superseded: true }, [{ has_id: [id] } as unknown as Condition]);
    await this.client.setPayload(this.collection, {
      payload: { memory: updated.memory, categories: updated.categories, type: updated.type, event_time: updated.event_time, updated_at: updated.updated_at },
      filter: mine,
      wait: true,
    });
    // A filtered set-payload changes nothing, silently, when the point went meanwhile (a concurrent delete).
    if (!(await this.owned(userId, [id])).has(id)) return null;
    if (patch.vector) {
      // The client sends no update_filter; the owner was checked above, and a point's id (UUIDv5 of user and text) never changes owner.
      try {
        await this.client.updateVectors(this.collection, { points: [{ id, vector: patch.vector }], wait: true });
      } catch (err) {
        // Qdrant answers 404 for a point deleted since the check above.
        if ((err as { status?: number }).status === 404) return null;
        throw err;
      }
    }
    await this.record(userId, [
      { memory_id: id, event: 'updated', at: updated.updated_at, job_id: null, actor: actor ?? null, before: contentOf(current), after: contentOf(updated) },
    ]);
    return updated;
  }

  async delete(userId: string, given: string[], now = new Date(), actor?: string): Promise<string[]> {
    const ids = given.map(pointId);
    const records = await this.owned(userId, ids);
    const owned = [...records.keys()];
    let deleted: string[] = [];
    if (owned.length > 0) {
      // Superseded memories are the user's too (get returns them), so the filter takes them.
      await this.client.delete(this.collection, {
        filter: this.filter(userId, { include_superseded: true }, [{ has_id: owned } as unknown as Condition]),
        wait: true,
      });
      // Qdrant's delete does not say what it removed: what is gone now is what this call deleted.
      const left = await this.owned(userId, owned);
      deleted = owned.filter((id) => !left.has(id));
      await this.record(
        userId,
        deleted.map((id) => ({
          memory_id: id,
          event: 'deleted' as const,
          at: now.toISOString(),
          job_id: null,
          actor: actor ?? null,
          before: contentOf(toMemory(id, records.get(id)!.payload)),
          after: null,
        })),
      );
    }
    return ids.filter((id) => deleted.includes(id));
  }

  async count(userId: string, filter?: MemoryFilter): Promise<number> {
    const { count } = await this.client.count(this.collection, { filter: this.filter(userId, filter), exact: true });
    return count;
  }

  async stats(userId: string): Promise<MemoryStats> {
    const total = await this.count(userId);
    // Counts, facets and dates describe the current memories, as the SQLite store's do.
    const byType = Object.fromEntries(
      await Promise.all(MEMORY_TYPES.map(async (type) => [type, await this.count(userId, { type })] as const)),
    ) as MemoryStats['by_type'];
    const facets = await this.client.facet(this.collection, {
      key: 'categories',
      filter: this.filter(userId),
      limit: 1_000,
      exact: true,
    });
    const edge = async (direction: 'asc' | 'desc') => {
      const { points } = await this.client.scroll(this.collection, {
        filter: this.filter(userId),
        limit: 1,
        order_by: { key: 'created_at', direction },
        with_payload: ['created_at'],
      });
      return (points[0]?.payload?.created_at as string | undefined) ?? null;
    };
    const [first, last] = await Promise.all([edge('asc'), edge('desc')]);
    const byCategory = [...facets.hits]
      .sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
      .map((h) => [String(h.value), h.count] as const);
    return { total, by_category: Object.fromEntries(byCategory), by_type: byType, first_memory: first, last_memory: last };
  }

  async ping(): Promise<void> {
    await this.client.collectionExists(this.collection);
  }

  async close(): Promise<void> {
    // The REST client holds no connection that needs closing.
  }

}
