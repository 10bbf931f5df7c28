import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { SqliteMemoryStore, StaleLeaseError } from '@mnemo/store';
import { CONTRACT_DIMENSION, creating, describeMemoryStoreContract } from '../contract/memory-store.contract';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

describeMemoryStoreContract('sqlite', async () => {
  const dir = makeTempDir('contract');
  const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
  return {
    store,
    close: async () => {
      await store.close();
      removeTempDir(dir);
    },
  };
});

describe('SqliteMemoryStore specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('store');
  });
  afterEach(() => removeTempDir(dir));

  it('opens a new data dir from two processes at once (two workers starting together)', async () => {
    // The built store, as a worker process loads it; each process opens, writes store_meta, closes.
    const script = `const { SqliteMemoryStore } = require(${JSON.stringify(path.resolve(__dirname, '../../packages/store/dist'))});
      SqliteMemoryStore.open(process.argv[1], 8, 'test').close();`;
    const run = promisify(execFile);
    for (let round = 0; round < 5; round++) {
      const fresh = path.join(dir, `round-${round}`);
      await Promise.all([run(process.execPath, ['-e', script, fresh]), run(process.execPath, ['-e', script, fresh])]);
      const store = SqliteMemoryStore.open(fresh, 8, 'test');
      expect(store.builtWith()).toEqual({ embedder: 'test', dimension: 8 });
      await store.close();
    }
  }, 60_000); // Two node processes loading the native store: slow on a busy machine, never a speed check.

  it('refuses to open a data dir built for another vector size', async () => {
    const store = SqliteMemoryStore.open(dir, 8);
    await store.close();
    expect(() => SqliteMemoryStore.open(dir, 16)).toThrow(/built by another embedder \(8-dimensional vectors\)[\s\S]*Run "mnemo reembed"/);
  });

  it('opens a store from before embedders were recorded with the embedder of its size, and records it', async () => {
    // The previous release recorded the size alone: a Voyage-built store must not be taken for a hashing one.
    const old = new Database(path.join(dir, 'memories.db'));
    old.exec("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO store_meta VALUES ('dimension', '1024');");
    old.close();
    const store = SqliteMemoryStore.open(dir, 1024, 'voyage');
    expect(store.builtWith()).toEqual({ embedder: 'voyage', dimension: 1024 });
    await store.close();
    expect(() => SqliteMemoryStore.open(dir, 1024, 'openai')).toThrow(/built by the voyage embedder/);
  });

  it("erases a user's retrieval keys and their vectors with the user, and a reworded memory loses its old keys", async () => {
    const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const keyed = (text: string, key: string) =>
      creating('alice', 'job-1', [{ text }]).map((w) => ({ ...w, item: { ...w.item, memory: { ...w.item.memory, keys: [key] }, keyVectors: [w.item.vector] } }));
    await store.write('alice', 'job-1', [...keyed('User has a private health matter', 'My HIV test came back positive'), ...keyed('User likes tea', 'I like tea')], new Date('2024-01-01T00:00:00Z'));
    const raw = new Database(path.join(dir, 'memories.db'), { readonly: true });
    sqliteVec.load(raw);
    const keyRows = () => {
      const keys = (raw.prepare('SELECT count(*) AS n FROM memory_keys').get() as { n: number }).n;
      const vectors = (raw.prepare('SELECT count(*) AS n FROM memory_key_vectors').get() as { n: number }).n;
      expect(vectors).toBe(keys);
      return keys;
    };
    expect(keyRows()).toBe(2);
    const [tea] = (await store.list('alice', { page: 1, pageSize: 10 })).items.filter((m) => m.memory === 'User likes tea');
    await store.update('alice', tea!.id, { memory: 'User likes green tea', vector: Array(CONTRACT_DIMENSION).fill(0.1) }, new Date());
    expect((await store.get('alice', tea!.id))!.keys).toEqual([]);
    expect(keyRows()).toBe(1);
    await store.eraseUser('alice');
    expect(keyRows()).toBe(0);
    raw.close();
    await store.close();
  });

  it('refuses a data dir built by another embedder of the same size, and names the fix', async () => {
    (SqliteMemoryStore.open(dir, 8, 'words')).close();
    expect(() => SqliteMemoryStore.open(dir, 8, 'voyage')).toThrow(
      /built by the words embedder \(8-dimensional vectors\), but the embedder in use is voyage \(8-dimensional\)\. Run "mnemo reembed"/,
    );
    const reopened = SqliteMemoryStore.open(dir);
    expect(reopened.builtWith()).toEqual({ embedder: 'words', dimension: 8 });
    await reopened.close();
  });

  it('refuses a store of another onnx model, naming the settings of the one that built it', async () => {
    SqliteMemoryStore.open(dir, 384, 'onnx:Xenova/all-MiniLM-L6-v2').close();
    expect(() => SqliteMemoryStore.open(dir, 384, 'onnx:Xenova/bge-small-en-v1.5')).toThrow(
      /built by the onnx:Xenova\/all-MiniLM-L6-v2 embedder .* or set MNEMO_EMBEDDER=onnx MNEMO_EMBEDDING_MODEL=Xenova\/all-MiniLM-L6-v2 /,
    );
  });

  it('reads a store written before provenance was a list and last_seen_at existed', async () => {
    const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const {
      created: [memory],
    } = await store.write('alice', 'job-1', creating('alice', 'job-1', [{ text: 'User likes tea' }]), new Date('2024-01-01T00:00:00Z'));
    await store.close();
    const raw = new Database(path.join(dir, 'memories.db'));
    raw.exec(`DROP INDEX memories_with_attributes; ALTER TABLE memories DROP COLUMN last_seen_at; ALTER TABLE memories DROP COLUMN attributes;
      ALTER TABLE memories DROP COLUMN valid_until; ALTER TABLE memories DROP COLUMN superseded_by;
      UPDATE memories SET provenance = '{"job_id":"old-job","message_ids":["3"]}'`);
    raw.close();

    const reopened = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    try {
      expect(await reopened.get('alice', memory!.id)).toMatchObject({
        attributes: [],
        valid_until: null,
        last_seen_at: '2024-01-01T00:00:00.000Z',
        provenance: [{ job_id: 'old-job', message_ids: ['3'], thread_id: 'thread-1', agent_id: 'agent-1', source: 'chat' }],
      });
      const { merged } = await reopened.write('alice', 'new-job', creating('alice', 'new-job', [{ text: 'User likes tea' }]), new Date('2024-02-01T00:00:00Z'));
      expect(merged[0]!.provenance.map((p) => p.job_id)).toEqual(['old-job', 'new-job']);
    } finally {
      await reopened.close();
    }
  });

  it('rebuilds a lexical index from before it was partitioned by user, and matches words within the user only', async () => {
    const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const vector = Array(CONTRACT_DIMENSION).fill(0.1);
    // Ids whose bytes run into each other: "al" + "ice" is not "alice".
    for (const user of ['alice', 'al', 'ice']) {
      await store.write(user, 'job-1', creating(user, 'job-1', [{ text: `User ${user} went hiking near Oslo` }]), new Date('2024-01-01T00:00:00Z'));
    }
    await store.close();
    const raw = new Database(path.join(dir, 'memories.db'));
    // The previous release: wording and keys only.
    raw.exec(`DROP TRIGGER memories_fts_insert; DROP TRIGGER memories_fts_delete; DROP TRIGGER memories_fts_update; DROP TABLE memories_fts;
      CREATE VIRTUAL TABLE memories_fts USING fts5(memory, keys, content='memories', content_rowid='rowid', tokenize='porter unicode61');
      INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');`);
    raw.close();

    const reopened = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    try {
      const hits = await reopened.search('al', { vector, text: 'hiking in Oslo', limit: 10 });
      expect(hits.map((h) => h.memory.memory)).toEqual(['User al went hiking near Oslo']);
      expect(hits[0]!.lexical).toBeGreaterThan(0);
      // Kept in step after the rebuild: a new memory is found by its words, a deleted one is gone.
      const { created } = await reopened.write('al', 'job-2', creating('al', 'job-2', [{ text: 'User al plays chess' }]), new Date());
      expect((await reopened.search('al', { vector, text: 'chess', limit: 10 })).find((h) => h.lexical > 0)?.memory.memory).toBe('User al plays chess');
      await reopened.delete('al', [created[0]!.id]);
      expect((await reopened.search('al', { vector, text: 'chess', limit: 10 })).filter((h) => h.lexical > 0)).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it('is shared safely by two connections on the same file (API and worker)', async () => {
    const a = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const b = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    try {
      const now = new Date();
      await Promise.all([
        a.write('alice', 'job-a', creating('alice', 'job-a', [{ text: 'User likes tea' }]), now),
        b.write('alice', 'job-b', creating('alice', 'job-b', [{ text: 'User likes coffee' }]), now),
      ]);
      expect(await a.count('alice')).toBe(2);
      expect(await b.count('alice')).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fences writes: a lease older than one that has written for the user is refused', async () => {
    const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const lease = (token: number) => ({ token, assertHeld: async () => undefined });
    try {
      const now = new Date();
      await store.write('alice', 'job-new', creating('alice', 'job-new', [{ text: 'User likes tea' }]), now, lease(7));
      // The holder of lease 5 was paused past its expiry while lease 7 wrote: its write must not land.
      await expect(store.write('alice', 'job-old', creating('alice', 'job-old', [{ text: 'User likes coffee' }]), now, lease(5))).rejects.toThrow(
        StaleLeaseError,
      );
      expect(await store.count('alice')).toBe(1);
      // Tokens are per user.
      await store.write('bob', 'job-b', creating('bob', 'job-b', [{ text: 'User likes coffee' }]), now, lease(5));
      await store.write('alice', 'job-next', creating('alice', 'job-next', [{ text: 'User likes cocoa' }]), now, lease(8));
      expect(await store.count('alice')).toBe(2);
    } finally {
      await store.close();
    }
  });
});
