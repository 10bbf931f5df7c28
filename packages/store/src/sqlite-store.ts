import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MnemoError, memorySchema, type Memory } from '@mnemo/core';
import type { ListOptions, MemoryStore, MemoryToStore, Page, UpsertOutcome } from './memory-store';

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
  provenance: string;
}

const COLUMNS =
  'rowid, id, user_id, memory, categories, type, event_time, agent_id, thread_id, source, created_at, updated_at, mentions, provenance';

function toMemory(row: MemoryRow): Memory {
  return memorySchema.parse({
    ...row,
    categories: JSON.parse(row.categories),
    provenance: JSON.parse(row.provenance),
  });
}

/**
 * Embedded store: better-sqlite3 with sqlite-vec, one file in the data dir.
 * WAL mode and a busy timeout let the API and several workers on one host
 * share the file; every write runs in one IMMEDIATE transaction.
 */
export class SqliteMemoryStore implements MemoryStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;

  private constructor(db: Database.Database, readonly dimension: number) {
    this.db = db;
  }

  static open(dataDir: string, dimension: number): SqliteMemoryStore {
    fs.mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, 'memories.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      sqliteVec.load(db);
      migrate(db, dimension);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteMemoryStore(db, dimension);
  }

  async upsert(userId: string, items: MemoryToStore[], now: Date): Promise<UpsertOutcome[]> {
    const stamp = now.toISOString();
    const find = this.db.prepare<[string, string], MemoryRow>(`SELECT ${COLUMNS} FROM memories WHERE id = ? AND user_id = ?`);
    const insert = this.db.prepare(
      `INSERT INTO memories (id, user_id, memory, categories, type, event_time, agent_id, thread_id, source,
         created_at, updated_at, mentions, provenance)
       VALUES (@id, @user_id, @memory, @categories, @type, @event_time, @agent_id, @thread_id, @source,
         @stamp, @stamp, 1, @provenance)`,
    );
    const insertVector = this.db.prepare('INSERT INTO memory_vectors (rowid, user_id, embedding) VALUES (?, ?, ?)');
    const touch = this.db.prepare('UPDATE memories SET mentions = mentions + 1, updated_at = ? WHERE rowid = ?');

    const write = this.db.transaction((): UpsertOutcome[] =>
      items.map(({ memory, vector }) => {
        if (memory.user_id !== userId) throw new Error('memory user_id does not match the store call');
        if (vector.length !== this.dimension) {
          throw new MnemoError('PROCESSING_ERROR', `vector has ${vector.length} dimensions, store expects ${this.dimension}`);
        }
        const existing = find.get(memory.id, userId);
        if (existing) {
          // The same job writing again (a retry after a crash) is a replay, not a new mention.
          if (JSON.parse(existing.provenance).job_id === memory.provenance.job_id) {
            return { status: 'created', memory: toMemory(existing) };
          }
          touch.run(stamp, existing.rowid);
          return { status: 'touched', memory: toMemory({ ...existing, mentions: existing.mentions + 1, updated_at: stamp }) };
        }
        const info = insert.run({
          ...memory,
          categories: JSON.stringify(memory.categories),
          provenance: JSON.stringify(memory.provenance),
          stamp,
        });
        insertVector.run(BigInt(info.lastInsertRowid), userId, new Float32Array(vector));
        const created = find.get(memory.id, userId);
        if (!created) throw new Error(`memory ${memory.id} vanished inside its own transaction`);
        return { status: 'created', memory: toMemory(created) };
      }),
    );
    return write.immediate();
  }

  async get(userId: string, id: string): Promise<Memory | null> {
    const row = this.db
      .prepare<[string, string], MemoryRow>(`SELECT ${COLUMNS} FROM memories WHERE id = ? AND user_id = ?`)
      .get(id, userId);
    return row ? toMemory(row) : null;
  }

  async list(userId: string, { page, pageSize }: ListOptions): Promise<Page<Memory>> {
    const rows = this.db
      .prepare<[string, number, number], MemoryRow>(
        `SELECT ${COLUMNS} FROM memories WHERE user_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      )
      .all(userId, pageSize, (page - 1) * pageSize);
    return { items: rows.map(toMemory), total: await this.count(userId) };
  }

  async count(userId: string): Promise<number> {
    const row = this.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM memories WHERE user_id = ?').get(userId);
    return row?.n ?? 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, dimension: number): void {
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
      provenance TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS memories_user_created ON memories (user_id, created_at);
  `);
  const stored = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'dimension'").get();
  if (stored && Number(stored.value) !== dimension) {
    // Mixing vector sizes would make every search wrong; refuse loudly instead.
    throw new Error(
      `The memory store in this data dir was built for ${stored.value}-dimensional vectors, ` +
        `but the embedder produces ${dimension}. Use another MNEMO_DATA_DIR or the original embedder.`,
    );
  }
  db.transaction(() => {
    db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('dimension', ?)").run(String(dimension));
    db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS memory_vectors USING vec0(
         user_id TEXT PARTITION KEY, embedding float[${dimension}] distance_metric=cosine)`,
    );
  }).immediate();
}
