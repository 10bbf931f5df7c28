import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MnemoError, memoryHistoryEventSchema, memorySchema, MEMORY_TYPES, type Memory, type MemoryHistoryEvent } from '@mnemo/core';
import {
  contentOf,
  queryTerms,
  reciprocalRankFusion,
  StaleLeaseError,
  type AppliedJob,
  type CandidateMemory,
  type CandidateQuery,
  type CandidateSet,
  type ListOptions,
  type MemoryFilter,
  type MemoryKey,
  type MemoryPatch,
  type MemoryStats,
  type MemoryStore,
  type MemoryWrite,
  type Page,
  type SearchHit,
  type SearchQuery,
  type VectorRebuild,
  type WriteLease,
  type WriteResult,
} from './memory-store';
import { createVectorTables, SqliteVectorRebuild, storedEmbedder } from './sqlite-vector-rebuild';
import { appliedIds, idsToRead, planWrites, replayResult } from './write-plan';

interface MemoryRow {
  rowid: number;
  id: string;
  user_id: string;
  memory: string;
  categories: string;
  type: string;
  event_time: string | null;
  agent_id: string;
  thread_id: string;
  source: string;
  created_at: string;
  updated_at: string;
  mentions: number;
  last_seen_at: string | null;
  provenance: string;
  attributes: string;
  valid_until: string | null;
  superseded_by: string | null;
  keys: string;
}

const COLUMNS = [
  'rowid', 'id', 'user_id', 'memory', 'categories', 'type', 'event_time', 'agent_id', 'thread_id', 'source',
  'created_at', 'updated_at', 'mentions', 'last_seen_at', 'provenance', 'attributes', 'valid_until', 'superseded_by', 'keys',
];
const M_COLUMNS = COLUMNS.map((c) => `m.${c}`).join(', ');

/** How many candidates each retriever contributes before fusion. */
const CANDIDATES_PER_RESULT = 4;
const MIN_CANDIDATES = 50;
/** BM25 column weights: a word in the memory's own wording counts for more than one in its source messages. */
const BM25_WEIGHTS = { memory: 1, keys: 0.6 };
/**
 * KNN first asks for this many times the pool (sqlite-vec's cost grows with
 * k: 5.6 ms at k = 200, 20 ms at 800 over 10,000 vectors), and four times
 * more while filters leave the pool short; sqlite-vec caps k. Keys ask for
 * more: a memory has one to eight of them, and the pool counts memories.
 */
const KNN_FIRST = { memories: 1.25, keys: 2 };
const KNN_GROWTH = 4;
const KNN_MAX = 4_096;

function toMemory(row: MemoryRow): Memory {
  const provenance = JSON.parse(row.provenance);
  return memorySchema.parse({
    ...row,
    categories: JSON.parse(row.categories),
    attributes: JSON.parse(row.attributes),
    keys: JSON.parse(row.keys),
    last_seen_at: row.last_seen_at ?? row.updated_at,
    // Stores written before provenance was a list hold one {job_id, message_ids} object.
    provenance: Array.isArray(provenance)
      ? provenance
      : [{ thread_id: row.thread_id, agent_id: row.agent_id, source: row.source, seen_at: row.created_at, ...provenance }],
  });
}

/** SQL for a filter, with its parameters. */
interface Scope {
  sql: string;
  params: unknown[];
}

/** A cosine distance (0–2) scaled to 0–1, as search hits and candidates report it. */
const scaledDistance = (d: number | undefined) => (d === undefined ? null : Math.min(1, Math.max(0, d / 2)));

/** SQL for a filter, with its parameters; always scoped to the user. */
function where(userId: string, filter: MemoryFilter = {}): Scope {
  const clauses = ['m.user_id = ?'];
  const params: unknown[] = [userId];
  if (!filter.include_superseded) clauses.push('m.valid_until IS NULL');
  for (const key of ['categories', 'attributes'] as const) {
    const values = filter[key];
    if (values?.length) {
      // Implied by the EXISTS; said so that SQLite reads the few rows with attributes by their partial index.
      if (key === 'attributes') clauses.push("m.attributes <> '[]'");
      clauses.push(`EXISTS (SELECT 1 FROM json_each(m.${key}) WHERE value IN (${values.map(() => '?').join(',')}))`);
      params.push(...values);
    }
  }
  for (const key of ['type', 'agent_id', 'thread_id'] as const) {
    if (filter[key] !== undefined) {
      clauses.push(`m.${key} = ?`);
      params.push(filter[key]);
    }
  }
  if (filter.created_after) {
    clauses.push('m.created_at >= ?');
    params.push(filter.created_after);
  }
  if (filter.created_before) {
    clauses.push('m.created_at <= ?');
    params.push(filter.created_before);
  }
  return { sql: clauses.join(' AND '), params };
}

/**
 * The user's id as one lexical token (`u` + hex of its UTF-8 bytes, as
 * SQLite's hex() writes it): the lexical index holds it in a column of its
 * own, so a MATCH reads only the user's postings, not every user's.
 */
function userToken(userId: string): string {
  return `u${Buffer.from(userId, 'utf8').toString('hex').toUpperCase()}`;
}

/**
 * Embedded store: better-sqlite3 with sqlite-vec, one file in the data dir.
 * WAL mode and a busy timeout let the API and several workers on one host
 * share the file; every write runs in one IMMEDIATE transaction. FTS5 keeps
 * a lexical index of memory texts for hybrid search.
 */
export class SqliteMemoryStore implements MemoryStore {
  readonly kind = 'sqlite';
  /** The store's file in the data dir. */
  static readonly FILE = 'memories.db';
  private readonly db: Database.Database;

  /** Prepared once per distinct SQL text: filters produce a handful of variants. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    db: Database.Database,
    /** Changes only when `mnemo reembed` switches the store to another embedder. */
    public dimension: number,
  ) {
    this.db = db;
  }

  private statement<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P extends unknown[] ? P : [P], R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P extends unknown[] ? P : [P], R>;
  }

  /**
   * Opens (or creates) the store in `dataDir`. `embedder` names the vectors'
   * maker: a store built by another one is refused, since its vectors would
   * not be comparable. Without a dimension, an existing store's own is used
   * (tools that only read, and `mnemo reembed`).
   */
  static open(dataDir: string, dimension?: number, embedder?: string): SqliteMemoryStore {
    fs.mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, SqliteMemoryStore.FILE));
    let size: number;
    try {
      db.pragma('busy_timeout = 5000');
      enableWal(db);
      db.pragma('synchronous = NORMAL');
      sqliteVec.load(db);
      size = migrate(db, dimension, embedder);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteMemoryStore(db, size);
  }

  /** What built this store's vectors: the embedder's name and vector size. */
  builtWith(): { embedder: string | null; dimension: number } {
    return storedEmbedder(this.db)!;
  }

  /** Re-embedding this store in place: see SqliteVectorRebuild. */
  rebuildVectors(): VectorRebuild {
    return new SqliteVectorRebuild(this.db, (target) => (this.dimension = target.dimension), () => this.close());
  }

  private checkVector(vector: number[]): void {
    if (vector.length !== this.dimension) {
      throw new MnemoError('PROCESSING_ERROR', `vector has ${vector.length} dimensions, store expects ${this.dimension}`);
    }
  }

  private row(userId: string, id: string): MemoryRow | undefined {
    return this
      .statement<[string, string], MemoryRow>(`SELECT ${M_COLUMNS} FROM memories m WHERE m.id = ? AND m.user_id = ?`)
      .get(id, userId);
  }

  private record(userId: string, event: MemoryHistoryEvent | null): void {
    if (!event) return;
    this
      .statement('INSERT INTO memory_history (memory_id, user_id, event, at, job_id, actor, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        event.memory_id,
        userId,
        event.event,
        event.at,
        event.job_id,
        event.actor,
        event.before ? JSON.stringify(event.before) : null,
        event.after ? JSON.stringify(event.after) : null,
      );
  }

  async write(userId: string, jobId: string, writes: MemoryWrite[], now: Date, lease?: WriteLease): Promise<WriteResult> {
    for (const { item } of writes) {
      if (item.memory.user_id !== userId) throw new Error('memory user_id does not match the store call');
      this.checkVector(item.vector);
    }
    // The token fences the write inside the transaction; this catches a lost lease before any work.
    await lease?.assertHeld();
    const apply = this.db.transaction((): WriteResult => {
      if (lease) this.fence(userId, lease.token);
      const applied = this.applied(userId, jobId);
      if (applied) return replayResult(applied, this.memories(userId, appliedIds(applied)));
      const plan = planWrites(jobId, writes, this.memories(userId, idsToRead(writes)), now);
      for (const { memory, vector, isNew, newKeys } of plan.changed.values()) this.save(memory, vector, isNew, newKeys);
      for (const event of plan.events) this.record(userId, event);
      this
        .statement('INSERT INTO applied_jobs (user_id, job_id, at, record) VALUES (?, ?, ?, ?)')
        .run(userId, jobId, plan.applied.at, JSON.stringify(plan.applied));
      return plan.result;
    });
    return apply.immediate();
  }

  async appliedJob(userId: string, jobId: string): Promise<AppliedJob | null> {
    return this.applied(userId, jobId);
  }

  private applied(userId: string, jobId: string): AppliedJob | null {
    const row = this
      .statement<[string, string], { record: string }>('SELECT record FROM applied_jobs WHERE user_id = ? AND job_id = ?')
      .get(userId, jobId);
    return row ? (JSON.parse(row.record) as AppliedJob) : null;
  }

  /** Refuses a lease older than the newest one that has written for the user; remembers this one. */
  private fence(userId: string, token: number): void {
    const seen = this.statement<[string], { token: number }>('SELECT token FROM user_leases WHERE user_id = ?').get(userId);
    if (seen && seen.token > token) {
      throw new StaleLeaseError(`lease ${token} for user ${userId} is older than ${seen.token}, which has written since`);
    }
    this
      .statement('INSERT INTO user_leases (user_id, token) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET token = excluded.token')
      .run(userId, token);
  }

  private memories(userId: string, ids: string[]): Map<string, Memory> {
    const found = new Map<string, Memory>();
    for (const id of ids) {
      const row = this.row(userId, id);
      if (row) found.set(id, toMemory(row));
    }
    return found;
  }

  /** Inserts or rewrites one memory row, and its vector when given. */
  private save(memory: Memory, vector: number[] | undefined, isNew: boolean, newKeys: MemoryKey[]): void {
    const values = {
      ...memory,
      categories: JSON.stringify(memory.categories),
      attributes: JSON.stringify(memory.attributes),
      provenance: JSON.stringify(memory.provenance),
      keys: JSON.stringify(memory.keys),
    };
    let rowid: number;
    if (isNew) {
      const info = this
        .statement<[typeof values]>(
          `INSERT INTO memories (id, user_id, memory, categories, type, event_time, agent_id, thread_id, source, created_at,
             updated_at, mentions, last_seen_at, provenance, attributes, valid_until, superseded_by, keys)
           VALUES (@id, @user_id, @memory, @categories, @type, @event_time, @agent_id, @thread_id, @source, @created_at,
             @updated_at, @mentions, @last_seen_at, @provenance, @attributes, @valid_until, @superseded_by, @keys)`,
        )
        .run(values);
      rowid = Number(info.lastInsertRowid);
    } else {
      rowid = this.row(memory.user_id, memory.id)!.rowid;
      this
        .statement<[typeof values & { rowid: number }]>(
          `UPDATE memories SET memory = @memory, categories = @categories, type = @type, event_time = @event_time,
             updated_at = @updated_at, mentions = @mentions, last_seen_at = @last_seen_at, provenance = @provenance,
             attributes = @attributes, valid_until = @valid_until, superseded_by = @superseded_by, keys = @keys
           WHERE rowid = @rowid`,
        )
        .run({ ...values, rowid });
      if (vector) this.statement('DELETE FROM memory_vectors WHERE rowid = ?').run(BigInt(rowid));
    }
    if (vector) {
      this
        .statement('INSERT INTO memory_vectors (rowid, user_id, embedding) VALUES (?, ?, ?)')
        .run(BigInt(rowid), memory.user_id, new Float32Array(vector));
    }
    this.syncKeys(rowid, memory, newKeys);
  }

  /** Key rows follow memory.keys: dropped keys lose their vectors, new ones gain theirs. */
  private syncKeys(memoryRowid: number, memory: Memory, newKeys: MemoryKey[]): void {
    const held = this
      .statement<[number], { rowid: number; text: string }>('SELECT rowid, text FROM memory_keys WHERE memory_rowid = ?')
      .all(memoryRowid);
    for (const key of held) {
      if (memory.keys.includes(key.text)) continue;
      this.statement('DELETE FROM memory_key_vectors WHERE rowid = ?').run(BigInt(key.rowid));
      this.statement('DELETE FROM memory_keys WHERE rowid = ?').run(key.rowid);
    }
    const have = new Set(held.map((k) => k.text));
    for (const key of newKeys) {
      if (have.has(key.text) || !memory.keys.includes(key.text)) continue;
      this.checkVector(key.vector);
      const info = this.statement('INSERT INTO memory_keys (memory_rowid, text) VALUES (?, ?)').run(memoryRowid, key.text);
      this
        .statement('INSERT INTO memory_key_vectors (rowid, user_id, embedding) VALUES (?, ?, ?)')
        .run(BigInt(info.lastInsertRowid), memory.user_id, new Float32Array(key.vector));
      have.add(key.text);
    }
  }

  private dropKeys(memoryRowid: number): void {
    this.statement('DELETE FROM memory_key_vectors WHERE rowid IN (SELECT rowid FROM memory_keys WHERE memory_rowid = ?)').run(memoryRowid);
    this.statement('DELETE FROM memory_keys WHERE memory_rowid = ?').run(memoryRowid);
  }

  async search(userId: string, { vector, text, limit, filter, keys = true }: SearchQuery): Promise<SearchHit[]> {
    this.checkVector(vector);
    // One read snapshot for every statement: a write landing between them cannot show half of itself.
    return this.db.transaction(() => this.searchSnapshot(userId, new Float32Array(vector), text, limit, where(userId, filter), keys)).deferred();
  }

  /**
   * The three candidate lists carry rowids and scores only; distances the
   * lists did not give and the full rows (with provenance) are read for the
   * hits returned, not for the whole pool.
   */
  private searchSnapshot(userId: string, embedding: Float32Array, text: string, limit: number, scope: Scope, keys: boolean): SearchHit[] {
    const pool = Math.max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT);
    const byVector = this.nearest(userId, embedding, scope, pool);
    const byKey = keys ? this.nearestByKeys(userId, embedding, scope, pool) : [];
    const byText = this.lexicalMatches(userId, text, scope, pool, keys);
    // Saturating, not relative to this query's best match, so scores of two searches can be compared.
    const lexical = new Map(byText.map((r) => [r.rowid, -r.bm25 / (-r.bm25 + 1)]));
    const distances = new Map(byVector.map((r) => [r.rowid, r.distance]));
    const keyDistances = new Map(byKey.map((r) => [r.rowid, r.distance]));

    const fused = [...reciprocalRankFusion([byVector, byKey, byText].map((list) => list.map((r) => String(r.rowid)))).entries()]
      .map(([rowid, score]) => ({ rowid: Number(rowid), score }))
      .sort((a, b) => b.score - a.score);
    // Ties in the fused score are broken by vector distance: every row tied with the last one kept needs its distance.
    const cutoff = fused[Math.min(limit, fused.length) - 1]?.score ?? Infinity;
    const chosen = fused.filter((f) => f.score >= cutoff);
    this.fillMemoryDistances(embedding, chosen, distances);
    const hits = chosen
      .sort((a, b) => b.score - a.score || (distances.get(a.rowid) ?? 2) - (distances.get(b.rowid) ?? 2))
      .slice(0, limit);
    if (keys) this.fillKeyDistances(embedding, hits.map((h) => h.rowid).filter((rowid) => !keyDistances.has(rowid)), keyDistances);

    const rows = new Map(
      this
        .statement<[string], MemoryRow>(`SELECT ${M_COLUMNS} FROM memories m WHERE m.rowid IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(hits.map((h) => h.rowid)))
        .map((r) => [r.rowid, r]),
    );
    return hits.map(({ rowid, score }) => ({
      memory: toMemory(rows.get(rowid)!),
      vector_distance: scaledDistance(distances.get(rowid)) ?? 1,
      key_distance: scaledDistance(keyDistances.get(rowid)),
      lexical: lexical.get(rowid) ?? 0,
      score,
    }));
  }

  /** BM25 over the wording and the keys (or the wording alone), within the user's postings. */
  private lexicalMatches(userId: string, text: string, scope: Scope, pool: number, keys: boolean): { rowid: number; bm25: number }[] {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const words = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    return this
      .statement<unknown[], { rowid: number; bm25: number }>(
        `SELECT f.rowid AS rowid, bm25(memories_fts, ${BM25_WEIGHTS.memory}, ${BM25_WEIGHTS.keys}, 0) AS bm25
           FROM memories_fts f
           JOIN memories m ON m.rowid = f.rowid
          WHERE memories_fts MATCH ? AND ${scope.sql}
          ORDER BY bm25 LIMIT ?`,
      )
      .all(`{user_token} : "${userToken(userId)}" AND ${keys ? '{memory keys}' : '{memory}'} : (${words})`, ...scope.params, pool);
  }

  /** Of the given rowids, those that pass the filter. */
  private passing(rowids: number[], scope: Scope): Set<number> {
    if (rowids.length === 0) return new Set();
    const rows = this
      .statement<unknown[], { rowid: number }>(`SELECT m.rowid AS rowid FROM memories m WHERE m.rowid IN (SELECT value FROM json_each(?)) AND ${scope.sql}`)
      .all(JSON.stringify(rowids), ...scope.params);
    return new Set(rows.map((r) => r.rowid));
  }

  /**
   * The memories whose keys are nearest to the query, with each one's
   * closest key distance. Filters are applied to the owners; k grows while
   * they leave fewer than the pool and more keys exist.
   */
  private nearestByKeys(userId: string, embedding: Float32Array, scope: Scope, pool: number): { rowid: number; distance: number }[] {
    const knnStatement = this.statement<[Float32Array, string, number], { rowid: number; distance: number }>(
      'SELECT rowid, distance FROM memory_key_vectors WHERE embedding MATCH ? AND user_id = ? AND k = ?',
    );
    for (let k = Math.min(KNN_MAX, Math.ceil(pool * KNN_FIRST.keys)); ; k = Math.min(KNN_MAX, k * KNN_GROWTH)) {
      const knn = knnStatement.all(embedding, userId, k);
      if (knn.length === 0) return [];
      const ownerOf = new Map(
        this
          .statement<[string], { rowid: number; memory_rowid: number }>('SELECT rowid, memory_rowid FROM memory_keys WHERE rowid IN (SELECT value FROM json_each(?))')
          .all(JSON.stringify(knn.map((n) => n.rowid)))
          .map((o) => [o.rowid, o.memory_rowid]),
      );
      const best = new Map<number, number>();
      // KNN answers nearest first: the first key seen of a memory is its closest.
      for (const { rowid, distance } of knn) {
        const owner = ownerOf.get(rowid);
        if (owner !== undefined && !best.has(owner)) best.set(owner, distance);
      }
      const passing = this.passing([...best.keys()], scope);
      const found = [...best].filter(([rowid]) => passing.has(rowid));
      if (found.length >= pool || knn.length < k || k === KNN_MAX) {
        return found.slice(0, pool).map(([rowid, distance]) => ({ rowid, distance }));
      }
    }
  }

  /** Adds the closest key distance of each given memory that has keys. */
  private fillKeyDistances(embedding: Float32Array, memoryRowids: number[], into: Map<number, number>): void {
    const keysOf = this.statement<[number], { rowid: number }>('SELECT rowid FROM memory_keys WHERE memory_rowid = ?');
    const keyDistance = this.statement<[Float32Array, bigint], { distance: number }>(
      'SELECT vec_distance_cosine(embedding, ?) AS distance FROM memory_key_vectors WHERE rowid = ?',
    );
    for (const memoryRowid of memoryRowids) {
      for (const { rowid } of keysOf.all(memoryRowid)) {
        const found = keyDistance.get(embedding, BigInt(rowid));
        if (found) into.set(memoryRowid, Math.min(into.get(memoryRowid) ?? Infinity, found.distance));
      }
    }
  }

  /**
   * The user's `pool` nearest memories that pass the filter. sqlite-vec's
   * KNN runs inside the user's partition (brute force in C), k growing
   * while filters leave fewer than the pool. If they still do while more
   * neighbours exist, the exact scan over the user's filtered rows answers
   * instead, so filters stay exact.
   */
  private nearest(userId: string, embedding: Float32Array, scope: Scope, pool: number): { rowid: number; distance: number }[] {
    const knnStatement = this.statement<[Float32Array, string, number], { rowid: number; distance: number }>(
      'SELECT rowid, distance FROM memory_vectors WHERE embedding MATCH ? AND user_id = ? AND k = ?',
    );
    for (let k = Math.min(KNN_MAX, Math.ceil(pool * KNN_FIRST.memories)); ; k = Math.min(KNN_MAX, k * KNN_GROWTH)) {
      const knn = knnStatement.all(embedding, userId, k);
      const passing = this.passing(knn.map((n) => n.rowid), scope);
      const found = knn.filter((n) => passing.has(n.rowid));
      if (found.length >= pool || knn.length < k) return found.slice(0, pool);
      if (k === KNN_MAX) break;
    }
    return this
      .statement<unknown[], { rowid: number; distance: number }>(
        `SELECT m.rowid AS rowid, vec_distance_cosine(v.embedding, ?) AS distance
           FROM memories m JOIN memory_vectors v ON v.rowid = m.rowid
          WHERE ${scope.sql} AND v.user_id = ?
          ORDER BY distance LIMIT ?`,
      )
      .all(embedding, ...scope.params, userId, pool);
  }

  /**
   * search (keys: false) and list (attributes filter) for every fact of a
   * job, in one read transaction and with the same statements' ranking, but
   * reading rowids and distances only until the end, where the chosen
   * memories' four columns are read once for the whole job. No provenance
   * JSON is parsed and no total counted.
   */
  async candidates(userId: string, queries: CandidateQuery[]): Promise<CandidateSet[]> {
    for (const q of queries) this.checkVector(q.vector);
    const scope = where(userId);
    const read = this.db.transaction(() => {
      const ranked = queries.map((q) => ({
        nearest: this.nearestByWording(userId, q, scope),
        sameAttribute: q.attributes.length > 0 ? this.newestStating(userId, q.attributes, q.sameAttribute) : [],
      }));
      const rowids = new Set(ranked.flatMap((r) => [...r.nearest.map((n) => n.rowid), ...r.sameAttribute]));
      const memories = new Map(
        this
          .statement<[string], CandidateMemory & { rowid: number }>(
            'SELECT rowid, id, memory, type, event_time FROM memories WHERE rowid IN (SELECT value FROM json_each(?))',
          )
          .all(JSON.stringify([...rowids]))
          .map(({ rowid, ...memory }) => [rowid, memory]),
      );
      return ranked.map((r) => ({
        nearest: r.nearest.map((n) => ({ memory: memories.get(n.rowid)!, vector_distance: n.vector_distance })),
        sameAttribute: r.sameAttribute.map((rowid) => memories.get(rowid)!),
      }));
    });
    return read();
  }

  /** What search ranks first for the query with keys left out, as rowids: the same statements, the same fusion. */
  /** The memory-vector distance of each row that `into` lacks, by point lookup (vec0 scans everything for `rowid IN`). */
  private fillMemoryDistances(embedding: Float32Array, rows: { rowid: number }[], into: Map<number, number>): void {
    const memoryDistance = this.statement<[Float32Array, bigint], { distance: number }>(
      'SELECT vec_distance_cosine(embedding, ?) AS distance FROM memory_vectors WHERE rowid = ?',
    );
    for (const { rowid } of rows) {
      if (into.has(rowid)) continue;
      const found = memoryDistance.get(embedding, BigInt(rowid));
      if (found) into.set(rowid, found.distance);
    }
  }

  private nearestByWording(userId: string, q: CandidateQuery, scope: Scope): { rowid: number; vector_distance: number }[] {
    const pool = Math.max(MIN_CANDIDATES, q.nearest * CANDIDATES_PER_RESULT);
    const embedding = new Float32Array(q.vector);
    const byVector = this.nearest(userId, embedding, scope, pool);
    const byWording = this.lexicalMatches(userId, q.text, scope, pool, false);
    const distances = new Map(byVector.map((r) => [r.rowid, r.distance]));
    this.fillMemoryDistances(embedding, byWording, distances);
    const fused = reciprocalRankFusion([byVector.map((r) => String(r.rowid)), [], byWording.map((r) => String(r.rowid))]);
    return [...fused.entries()]
      .map(([rowid, score]) => ({ rowid: Number(rowid), score }))
      .sort((a, b) => b.score - a.score || (distances.get(a.rowid) ?? 2) - (distances.get(b.rowid) ?? 2))
      .slice(0, q.nearest)
      .map(({ rowid }) => ({ rowid, vector_distance: scaledDistance(distances.get(rowid)) ?? 1 }));
  }

  /** list's first page for an attributes filter, as rowids, without the total. */
  private newestStating(userId: string, attributes: string[], limit: number): number[] {
    const scope = where(userId, { attributes });
    return this
      .statement<unknown[], { rowid: number }>(`SELECT m.rowid FROM memories m WHERE ${scope.sql} ORDER BY m.created_at DESC, m.id LIMIT ?`)
      .all(...scope.params, limit)
      .map((r) => r.rowid);
  }

  async get(userId: string, id: string): Promise<Memory | null> {
    const row = this.row(userId, id);
    return row ? toMemory(row) : null;
  }

  async list(userId: string, { page, pageSize, filter }: ListOptions): Promise<Page<Memory>> {
    const scope = where(userId, filter);
    const rows = this
      .statement<unknown[], MemoryRow>(
        `SELECT ${M_COLUMNS} FROM memories m WHERE ${scope.sql} ORDER BY m.created_at DESC, m.id LIMIT ? OFFSET ?`,
      )
      .all(...scope.params, pageSize, (page - 1) * pageSize);
    return { items: rows.map(toMemory), total: await this.count(userId, filter) };
  }

  async update(userId: string, id: string, patch: MemoryPatch, now: Date, actor?: string): Promise<Memory | null> {
    if (patch.memory !== undefined && !patch.vector) throw new Error('a new memory text needs its vector');
    if (patch.vector) this.checkVector(patch.vector);
    const apply = this.db.transaction((): Memory | null => {
      const existing = this.row(userId, id);
      if (!existing) return null;
      this
        .statement('UPDATE memories SET memory = ?, categories = ?, type = ?, event_time = ?, updated_at = ? WHERE rowid = ?')
        .run(
          patch.memory ?? existing.memory,
          patch.categories ? JSON.stringify(patch.categories) : existing.categories,
          patch.type ?? existing.type,
          // A lasting fact has no event time.
          patch.type === 'semantic' ? null : existing.event_time,
          now.toISOString(),
          existing.rowid,
        );
      if (patch.vector) {
        this.statement('DELETE FROM memory_vectors WHERE rowid = ?').run(BigInt(existing.rowid));
        this
          .statement('INSERT INTO memory_vectors (rowid, user_id, embedding) VALUES (?, ?, ?)')
          .run(BigInt(existing.rowid), userId, new Float32Array(patch.vector));
      }
      if (patch.memory !== undefined && patch.memory !== existing.memory) {
        // A reworded memory is what the user wants found: the old source messages no longer key it.
        this.statement("UPDATE memories SET keys = '[]' WHERE rowid = ?").run(existing.rowid);
        this.dropKeys(existing.rowid);
      }
      const updated = toMemory(this.row(userId, id)!);
      const before = toMemory(existing);
      this.record(userId, { memory_id: id, event: 'updated', at: now.toISOString(), job_id: null, actor: actor ?? null, before: contentOf(before), after: contentOf(updated) });
      return updated;
    });
    return apply.immediate();
  }

  async delete(userId: string, ids: string[], now = new Date(), actor?: string): Promise<string[]> {
    const remove = this.db.transaction((): string[] => {
      const deleted: string[] = [];
      for (const id of ids) {
        const existing = this.row(userId, id);
        if (!existing) continue;
        this.record(userId, { memory_id: id, event: 'deleted', at: now.toISOString(), job_id: null, actor: actor ?? null, before: contentOf(toMemory(existing)), after: null });
        this.statement('DELETE FROM memory_vectors WHERE rowid = ?').run(BigInt(existing.rowid));
        this.dropKeys(existing.rowid);
        this.statement('DELETE FROM memories WHERE rowid = ?').run(existing.rowid);
        deleted.push(id);
      }
      return deleted;
    });
    return remove.immediate();
  }

  async eraseUser(userId: string): Promise<{ memories: number }> {
    const erase = this.db.transaction((): number => {
      // Vectors go one by one (vec0 deletes by rowid); FTS rows go with the delete trigger.
      const rows = this.statement<[string], { rowid: number }>('SELECT rowid FROM memories WHERE user_id = ?').all(userId);
      for (const { rowid } of rows) {
        this.statement('DELETE FROM memory_vectors WHERE rowid = ?').run(BigInt(rowid));
        // The retrieval keys are the user's own words: they go too.
        this.dropKeys(rowid);
      }
      const { changes } = this.statement('DELETE FROM memories WHERE user_id = ?').run(userId);
      this.statement('DELETE FROM memory_history WHERE user_id = ?').run(userId);
      this.statement('DELETE FROM applied_jobs WHERE user_id = ?').run(userId);
      return changes;
    });
    return { memories: erase.immediate() };
  }

  async scrubHistory(userId: string, id: string): Promise<number> {
    const { changes } = this.statement('UPDATE memory_history SET before = NULL, after = NULL WHERE user_id = ? AND memory_id = ?').run(userId, id);
    return changes;
  }

  async history(userId: string, id: string): Promise<MemoryHistoryEvent[]> {
    const rows = this
      .statement<[string, string], { memory_id: string; event: string; at: string; job_id: string | null; actor: string | null; before: string | null; after: string | null }>(
        'SELECT memory_id, event, at, job_id, actor, before, after FROM memory_history WHERE user_id = ? AND memory_id = ? ORDER BY rowid',
      )
      .all(userId, id);
    return rows.map((r) =>
      memoryHistoryEventSchema.parse({ ...r, before: r.before ? JSON.parse(r.before) : null, after: r.after ? JSON.parse(r.after) : null }),
    );
  }

  async count(userId: string, filter?: MemoryFilter): Promise<number> {
    const scope = where(userId, filter);
    const row = this.statement<unknown[], { n: number }>(`SELECT count(*) AS n FROM memories m WHERE ${scope.sql}`).get(...scope.params);
    return row?.n ?? 0;
  }

  async stats(userId: string): Promise<MemoryStats> {
    const totals = this
      .statement<[string], { n: number; first: string | null; last: string | null }>(
        'SELECT count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM memories WHERE user_id = ? AND valid_until IS NULL',
      )
      .get(userId)!;
    const byCategory = this
      .statement<[string], { category: string; n: number }>(
        `SELECT c.value AS category, count(*) AS n FROM memories m, json_each(m.categories) c
          WHERE m.user_id = ? AND m.valid_until IS NULL GROUP BY c.value ORDER BY n DESC, category`,
      )
      .all(userId);
    const byType = this
      .statement<[string], { type: string; n: number }>(
        'SELECT type, count(*) AS n FROM memories WHERE user_id = ? AND valid_until IS NULL GROUP BY type',
      )
      .all(userId);
    return {
      total: totals.n,
      by_category: Object.fromEntries(byCategory.map((r) => [r.category, r.n])),
      by_type: Object.fromEntries(MEMORY_TYPES.map((t) => [t, byType.find((r) => r.type === t)?.n ?? 0])) as MemoryStats['by_type'],
      first_memory: totals.first,
      last_memory: totals.last,
    };
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Brings the schema up to date; returns the store's vector size. */
/**
 * Switches the file to WAL (it stays so). On a new file two processes
 * opening it at once (two workers starting together) contend for the lock
 * the switch needs, and SQLite answers SQLITE_BUSY without calling the busy
 * handler: retry for as long as busy_timeout would have waited.
 */
function enableWal(db: Database.Database, waitMs = 5_000): void {
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10); // open() is synchronous; a short sleep, not a spin
    }
  }
}

/** The settings that select an embedder by the name a store records (the onnx embedder's names its model). */
function settingFor(embedder: string): string {
  if (!embedder.startsWith('onnx:')) return `MNEMO_EMBEDDER=${embedder}`;
  const model = embedder.slice('onnx:'.length);
  return model.includes('/') ? `MNEMO_EMBEDDER=onnx MNEMO_EMBEDDING_MODEL=${model}` : `MNEMO_EMBEDDER=onnx with MNEMO_EMBEDDING_MODEL_PATH at the ${model} model directory`;
}

function migrate(db: Database.Database, requested: number | undefined, embedder: string | undefined): number {
  db.exec(`
    CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS memories (
      rowid INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      user_id TEXT NOT NULL,
      memory TEXT NOT NULL,
      categories TEXT NOT NULL,
      type TEXT NOT NULL,
      event_time TEXT,
      agent_id TEXT NOT NULL,
      thread_id TEXT NOT NULL,
      source TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      mentions INTEGER NOT NULL DEFAULT 1,
      last_seen_at TEXT,
      provenance TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS memories_user_created ON memories (user_id, created_at);
    -- Audit trail; outlives the memories it describes.
    CREATE TABLE IF NOT EXISTS memory_history (
      rowid INTEGER PRIMARY KEY,
      memory_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      event TEXT NOT NULL,
      at TEXT NOT NULL,
      job_id TEXT,
      actor TEXT,
      before TEXT,
      after TEXT
    );
    CREATE INDEX IF NOT EXISTS memory_history_user_memory ON memory_history (user_id, memory_id);
    -- Jobs whose facts are written: the same job never writes twice.
    CREATE TABLE IF NOT EXISTS applied_jobs (
      user_id TEXT NOT NULL,
      job_id TEXT NOT NULL,
      at TEXT NOT NULL,
      record TEXT NOT NULL,
      PRIMARY KEY (user_id, job_id)
    );
    -- The newest lease token that has written each user's memories (fencing).
    CREATE TABLE IF NOT EXISTS user_leases (user_id TEXT PRIMARY KEY, token INTEGER NOT NULL);
    -- Retrieval keys (source message texts); their vectors live in memory_key_vectors under the same rowid.
    CREATE TABLE IF NOT EXISTS memory_keys (rowid INTEGER PRIMARY KEY, memory_rowid INTEGER NOT NULL, text TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS memory_keys_memory ON memory_keys (memory_rowid);
  `);
  // Added after the first release of the table.
  const added: [string, string][] = [
    ['last_seen_at', 'TEXT'],
    ['attributes', "TEXT NOT NULL DEFAULT '[]'"],
    ['valid_until', 'TEXT'],
    ['superseded_by', 'TEXT'],
    ['keys', "TEXT NOT NULL DEFAULT '[]'"],
    // Computed, never stored: what the lexical index files the row under (see userToken).
    ['user_token', "TEXT GENERATED ALWAYS AS ('u' || hex(user_id)) VIRTUAL"],
  ];
  // Read and changed in one IMMEDIATE transaction: an API and a worker opening an old store at once
  // must not both add a column. Rebuilding the lexical index of a large store can take a while.
  db.pragma('busy_timeout = 60000');
  db.transaction(() => {
    // table_xinfo, not table_info: the latter leaves generated columns out.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_xinfo(memories)').all().map((c) => c.name);
    for (const [column, type] of added) if (!columns.includes(column)) db.exec(`ALTER TABLE memories ADD COLUMN ${column} ${type}`);
    // Few memories state an attribute: searches by attribute (the user's name, reconciliation) read only those.
    db.exec("CREATE INDEX IF NOT EXISTS memories_with_attributes ON memories (user_id, created_at) WHERE attributes <> '[]'");
    migrateLexicalIndex(db);
    // Keys whose memory is gone (an erasure before keys were erased with it).
    db.exec('DELETE FROM memory_keys WHERE memory_rowid NOT IN (SELECT rowid FROM memories)');
  }).immediate();
  db.pragma('busy_timeout = 5000');
  const stored = storedEmbedder(db);
  const dimension = requested ?? stored?.dimension;
  if (dimension === undefined) throw new Error('a new memory store needs the vector size of its embedder');
  if (stored && (stored.dimension !== dimension || (embedder !== undefined && stored.embedder !== null && stored.embedder !== embedder))) {
    // Mixing vectors of two embedders would make every search wrong; refuse loudly, and name the way out.
    // A store from before names were recorded whose size is the hashing embedder's default was most likely built by it.
    const builder = stored.embedder ?? (stored.dimension === 256 ? 'hashing' : null);
    throw new Error(
      `The memory store in this data dir was built by ${builder ? `the ${builder} embedder` : 'another embedder'} (${stored.dimension}-dimensional vectors), ` +
        `but the embedder in use is ${embedder ?? 'another one'} (${dimension}-dimensional). Run "mnemo reembed" to re-embed ` +
        `every memory with the new embedder, ${builder ? `or set ${settingFor(builder)} ` : 'or go back to the embedder that built it '}(or use another MNEMO_DATA_DIR).`,
    );
  }
  db.transaction(() => {
    db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('dimension', ?)").run(String(dimension));
    if (embedder !== undefined) db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('embedder', ?)").run(embedder);

    createVectorTables(db, dimension);
  }).immediate();
  return dimension;
}

/**
 * The lexical index covers the wording and the keys, and files each row
 * under its user's token (a column BM25 gives weight 0), kept in step by
 * triggers. Stores from before keys or the user token are rebuilt.
 */
function migrateLexicalIndex(db: Database.Database): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'memories_fts'").get();
  const columns = exists ? db.prepare<[], { name: string }>('PRAGMA table_info(memories_fts)').all().map((c) => c.name) : [];
  if (columns.includes('user_token')) return;
  db.exec(`
    DROP TRIGGER IF EXISTS memories_fts_insert;
    DROP TRIGGER IF EXISTS memories_fts_delete;
    DROP TRIGGER IF EXISTS memories_fts_update;
    DROP TABLE IF EXISTS memories_fts;
    CREATE VIRTUAL TABLE memories_fts USING fts5(
      memory, keys, user_token, content='memories', content_rowid='rowid', tokenize='porter unicode61');
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
      INSERT INTO memories_fts (rowid, memory, keys, user_token) VALUES (new.rowid, new.memory, new.keys, new.user_token);
    END;
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
      INSERT INTO memories_fts (memories_fts, rowid, memory, keys, user_token) VALUES ('delete', old.rowid, old.memory, old.keys, old.user_token);
    END;
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF memory, keys ON memories BEGIN
      INSERT INTO memories_fts (memories_fts, rowid, memory, keys, user_token) VALUES ('delete', old.rowid, old.memory, old.keys, old.user_token);
      INSERT INTO memories_fts (rowid, memory, keys, user_token) VALUES (new.rowid, new.memory, new.keys, new.user_token);
    END;
    INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
  `);
}
