import type Database from 'better-sqlite3';
import type { EmbedderSignature, RebuildItem, RebuildProgress, VectorRebuild } from './memory-store';

/** The live vector tables: one vector per memory, one per key, under the rowid of its row. */
export function createVectorTables(db: Database.Database, dimension: number): void {
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS memory_vectors USING vec0(
       user_id TEXT PARTITION KEY, embedding float[${dimension}] distance_metric=cosine);
     CREATE VIRTUAL TABLE IF NOT EXISTS memory_key_vectors USING vec0(
       user_id TEXT PARTITION KEY, embedding float[${dimension}] distance_metric=cosine);`,
  );
}

/**
 * What built an existing store's vectors. Stores from before the embedder
 * was recorded know only the size (`embedder` null): whichever embedder
 * opens them with that size is taken at its word, as before, and recorded.
 */
export function storedEmbedder(db: Database.Database): (Omit<EmbedderSignature, 'embedder'> & { embedder: string | null }) | null {
  const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM store_meta').all().map((r) => [r.key, r.value]));
  const dimension = meta.get('dimension');
  return dimension === undefined ? null : { embedder: meta.get('embedder') ?? null, dimension: Number(dimension) };
}

const TARGET_KEY = 'rebuild_target';

/** Texts with no staged vector, or a staged one made from other text (the memory was reworded since). */
const PENDING_MEMORIES = `
  FROM memories m LEFT JOIN rebuild_vectors r ON r.source = 'memory' AND r.item = m.rowid
  WHERE r.item IS NULL OR r.text IS NOT m.memory`;
const PENDING_KEYS = `
  FROM memory_keys k JOIN memories m ON m.rowid = k.memory_rowid
  LEFT JOIN rebuild_vectors r ON r.source = 'key' AND r.item = k.rowid
  WHERE r.item IS NULL OR r.text IS NOT k.text`;

/**
 * SQLite side of `mnemo reembed`. New vectors go into a plain staging table
 * (`rebuild_vectors`) beside the live vec0 tables, one committed
 * transaction per batch, so a killed run loses at most the batch in flight
 * and a rerun starts from what is staged. The switch drops the vec0 tables,
 * recreates them at the new size (vec0 cannot be altered or renamed) and
 * fills them from the staging table, and records the new embedder, all in
 * one IMMEDIATE transaction: readers see the old store or the new one.
 */
export class SqliteVectorRebuild implements VectorRebuild {
  constructor(
    private readonly db: Database.Database,
    /** Called after the switch with the new signature, so the store checks vectors against it. */
    private readonly onSwitch: (target: EmbedderSignature) => void,
    private readonly closeStore: () => Promise<void>,
  ) {}

  async builtWith(): Promise<EmbedderSignature> {
    const built = storedEmbedder(this.db)!;
    return { ...built, embedder: built.embedder ?? 'unrecorded' };
  }

  private target(): EmbedderSignature | null {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM store_meta WHERE key = ?').get(TARGET_KEY);
    return row ? (JSON.parse(row.value) as EmbedderSignature) : null;
  }

  async begin(target: EmbedderSignature): Promise<RebuildProgress> {
    const start = this.db.transaction((): boolean => {
      const current = this.target();
      const resumed = current?.embedder === target.embedder && current.dimension === target.dimension;
      if (!resumed) {
        // Vectors staged for another embedder are of no use to this one.
        this.db.exec(`
          DROP TABLE IF EXISTS rebuild_vectors;
          CREATE TABLE rebuild_vectors (
            source TEXT NOT NULL, item INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL,
            PRIMARY KEY (source, item)) WITHOUT ROWID;`);
        this.db
          .prepare('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
          .run(TARGET_KEY, JSON.stringify(target));
      }
      return resumed;
    });
    const resumed = start.immediate();
    const total = this.count('SELECT (SELECT count(*) FROM memories) + (SELECT count(*) FROM memory_keys) AS n');
    return { total, done: total - this.pendingCount(), resumed };
  }

  private count(sql: string): number {
    return this.db.prepare<[], { n: number }>(sql).get()!.n;
  }

  private pendingCount(): number {
    return this.count(`SELECT (SELECT count(*) ${PENDING_MEMORIES}) + (SELECT count(*) ${PENDING_KEYS}) AS n`);
  }

  async pending(limit: number): Promise<RebuildItem[]> {
    const memories = this.db
      .prepare<[number], { item: number; text: string }>(`SELECT m.rowid AS item, m.memory AS text ${PENDING_MEMORIES} ORDER BY m.rowid LIMIT ?`)
      .all(limit);
    const keys = memories.length < limit
      ? this.db
          .prepare<[number], { item: number; text: string }>(`SELECT k.rowid AS item, k.text AS text ${PENDING_KEYS} ORDER BY k.rowid LIMIT ?`)
          .all(limit - memories.length)
      : [];
    return [
      ...memories.map((r) => ({ source: 'memory' as const, ref: String(r.item), text: r.text })),
      ...keys.map((r) => ({ source: 'key' as const, ref: String(r.item), text: r.text })),
    ];
  }

  async save(built: { item: RebuildItem; vector: number[] }[]): Promise<void> {
    const target = this.target();
    if (!target) throw new Error('no vector rebuild has begun');
    for (const { vector } of built) {
      if (vector.length !== target.dimension) throw new Error(`vector has ${vector.length} dimensions, the rebuild expects ${target.dimension}`);
    }
    const insert = this.db.prepare(
      `INSERT INTO rebuild_vectors (source, item, text, embedding) VALUES (?, ?, ?, ?)
       ON CONFLICT (source, item) DO UPDATE SET text = excluded.text, embedding = excluded.embedding`,
    );
    this.db
      .transaction(() => {
        for (const { item, vector } of built) insert.run(item.source, Number(item.ref), item.text, new Float32Array(vector));
      })
      .immediate();
  }

  async finish(): Promise<boolean> {
    const target = this.target();
    if (!target) throw new Error('no vector rebuild has begun');
    const switched = this.db
      .transaction((): boolean => {
        // Checked inside the write lock: a writer still on the old embedder may have added texts since.
        if (this.pendingCount() > 0) return false;
        this.db.exec('DROP TABLE memory_vectors; DROP TABLE memory_key_vectors;');
        createVectorTables(this.db, target.dimension);
        // Joined to the live rows: staged vectors of memories or keys deleted meanwhile are left behind.
        this.db.exec(`
          INSERT INTO memory_vectors (rowid, user_id, embedding)
            SELECT m.rowid, m.user_id, r.embedding FROM rebuild_vectors r JOIN memories m ON m.rowid = r.item WHERE r.source = 'memory';
          INSERT INTO memory_key_vectors (rowid, user_id, embedding)
            SELECT k.rowid, m.user_id, r.embedding FROM rebuild_vectors r
              JOIN memory_keys k ON k.rowid = r.item JOIN memories m ON m.rowid = k.memory_rowid WHERE r.source = 'key';
          DROP TABLE rebuild_vectors;`);
        const meta = this.db.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
        meta.run('dimension', String(target.dimension));
        meta.run('embedder', target.embedder);
        this.db.prepare('DELETE FROM store_meta WHERE key = ?').run(TARGET_KEY);
        return true;
      })
      .immediate();
    if (switched) this.onSwitch(target);
    return switched;
  }

  async close(): Promise<void> {
    await this.closeStore();
  }
}
