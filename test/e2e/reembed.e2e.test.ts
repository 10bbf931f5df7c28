import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { loadConfig, memoryId } from '@mnemo/core';
import { createEmbedder, createSearcher, LocalEmbedder } from '@mnemo/pipeline';
import { SqliteMemoryStore, type MemoryWrite } from '@mnemo/store';
import { eventually } from '../support/eventually';
import { assertBuilt, runCli, spawnCli, startProcess, startServices, type Services } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(120_000);

/** The default embedder, as the processes build it when MNEMO_EMBEDDER is unset. */
const WORDS_DIMENSION = 100;
const HASHING_DIMENSION = 256;

interface Report {
  from: { embedder: string; dimension: number };
  to: { embedder: string; dimension: number };
  already: boolean;
  resumed: boolean;
  total: number;
  embedded: number;
  switched: boolean;
}

const reembed = async (dataDir: string, args: string[] = []) => JSON.parse(await runCli(['reembed', ...args], { MNEMO_DATA_DIR: dataDir })) as Report;

describe('mnemo reembed: a hashing store moved to the default embedder, end to end', () => {
  const prefix = uniquePrefix('e2e-reembed');
  const dataDir = makeTempDir('e2e-reembed');
  const env = { REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix };
  let services: Services | undefined;

  const call = async (base: string, route: string, key: string, body: unknown) => {
    const res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const found = async (base: string, key: string, query: string) =>
    ((await call(base, '/v1/memories/search', key, { query })).body.memories as { memory: string }[]).map((m) => m.memory);

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await services?.stop();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('refuses the old store naming mnemo reembed, re-embeds it, and then search finds its memories', async () => {
    services = await startServices({ ...env, MNEMO_EMBEDDER: 'hashing' });
    const key = await services.createKey('e2e-reembed-alice');
    for (const [thread, content] of [['career', 'I am a backend engineer at Shopify in Ottawa.'], ['health', 'I am allergic to penicillin.']]) {
      const stored = await call(services.base, '/v1/memories', key, {
        messages: [{ role: 'user', content }],
        agent_id: 'e2e-agent',
        thread_id: thread,
        source: 'chat',
      });
      expect(stored.status).toBe(200);
    }
    expect(await found(services.base, key, 'Shopify')).toContain('User is a backend engineer at Shopify in Ottawa');
    await services.stop();
    services = undefined;

    // The default embedder now: both processes refuse the store and name the way out.
    for (const kind of ['api', 'worker'] as const) {
      const refused = startProcess(kind, env);
      expect(await refused.exited).not.toBe(0);
      expect(refused.output).toMatch(/built by the hashing embedder \(256-dimensional vectors\)[\s\S]*Run "mnemo reembed"/);
    }

    const report = await reembed(dataDir);
    expect(report).toMatchObject({
      from: { embedder: 'hashing', dimension: HASHING_DIMENSION },
      to: { embedder: 'words', dimension: WORDS_DIMENSION },
      switched: true,
    });
    // One vector per memory and one per key (the source message), all made again.
    expect(report.embedded).toBe(report.total);
    expect(report.total).toBeGreaterThanOrEqual(4);

    services = await startServices(env);
    const started = services;
    await eventually(async () => {
      expect(await found(started.base, key, 'Where does the user work?')).toContain('User is a backend engineer at Shopify in Ottawa');
      expect(await found(started.base, key, 'penicillin allergy')).toContain('User is allergic to penicillin');
    });
  });

  it('says so and exits 0 when the store is already built by the configured embedder', async () => {
    const again = await reembed(dataDir);
    expect(again).toMatchObject({ already: true, embedded: 0, switched: false, from: { embedder: 'words', dimension: WORDS_DIMENSION } });
  });
});

describe('mnemo reembed: stopped after some batches, then run again', () => {
  const dataDir = makeTempDir('e2e-reembed-resume');
  const hashing = new LocalEmbedder(HASHING_DIMENSION);
  afterAll(() => removeTempDir(dataDir));

  const fact = (i: number, text = `User fact number ${i} is about tea from region ${i}`): MemoryWrite => {
    const keys = [`message ${i} about tea`, `question ${i} about region`];
    return {
      action: 'create',
      item: {
        memory: {
          id: memoryId('alice', `fact-${i}`),
          user_id: 'alice',
          memory: text,
          categories: ['identity'],
          type: 'semantic',
          event_time: null,
          attributes: [],
          agent_id: 'agent-1',
          thread_id: 'thread-1',
          source: 'chat',
          provenance: [{ job_id: `job-${i}`, thread_id: 'thread-1', agent_id: 'agent-1', source: 'chat', message_ids: ['0'], seen_at: '2024-03-20T10:00:00.000Z' }],
          keys,
        },
        vector: hashing.embedOne(text),
        keyVectors: keys.map((k) => hashing.embedOne(k)),
      },
    };
  };

  /** Every memory and key with its vectors, straight from the file. */
  const vectorsOnFile = () => {
    const db = new Database(path.join(dataDir, 'memories.db'), { readonly: true });
    sqliteVec.load(db);
    try {
      const perRow = (rows: string, vectors: string) =>
        db
          .prepare<[], { n: number; size: number | null }>(
            `SELECT (SELECT count(*) FROM ${vectors} v WHERE v.rowid = r.rowid) AS n,
                    (SELECT vec_length(v.embedding) FROM ${vectors} v WHERE v.rowid = r.rowid) AS size FROM ${rows} r`,
          )
          .all();
      return {
        memories: perRow('memories', 'memory_vectors'),
        keys: perRow('memory_keys', 'memory_key_vectors'),
        strays: db.prepare<[], { n: number }>('SELECT (SELECT count(*) FROM memory_vectors) + (SELECT count(*) FROM memory_key_vectors) AS n').get()!.n,
      };
    } finally {
      db.close();
    }
  };

  const distanceOnFile = (id: string, vector: number[]) => {
    const db = new Database(path.join(dataDir, 'memories.db'), { readonly: true });
    sqliteVec.load(db);
    try {
      return db
        .prepare<[Float32Array, string], { d: number }>(
          'SELECT vec_distance_cosine(v.embedding, ?) AS d FROM memory_vectors v JOIN memories m ON m.rowid = v.rowid WHERE m.id = ?',
        )
        .get(new Float32Array(vector), id)!.d;
    } finally {
      db.close();
    }
  };

  it('keeps the old vectors in use until the end, continues without redoing saved batches, and leaves one new vector per memory and key', async () => {
    const built = SqliteMemoryStore.open(dataDir, HASHING_DIMENSION, 'hashing');
    for (let i = 1; i <= 30; i++) await built.write('alice', `job-${i}`, [fact(i)], new Date());
    await built.close();

    // 30 memories, 60 keys; memories first: 4 batches of 10 do every memory and 10 keys.
    const first = await reembed(dataDir, ['--batch-size', '10', '--max-batches', '4']);
    expect(first).toMatchObject({ resumed: false, total: 90, embedded: 40, switched: false });

    // Halfway, the store is still wholly the hashing one: it opens under that embedder and its search works.
    const old = SqliteMemoryStore.open(dataDir, HASHING_DIMENSION, 'hashing');
    const [hit] = await old.search('alice', { vector: hashing.embedOne('User fact number 7 is about tea from region 7'), text: 'region 7', limit: 1 });
    expect(hit?.memory.memory).toBe('User fact number 7 is about tea from region 7');
    // A writer still on the old embedder changes things between the runs: a reworded memory, a deleted one.
    const reworded = 'User drinks green tea every morning';
    await old.update('alice', memoryId('alice', 'fact-1'), { memory: reworded, vector: hashing.embedOne(reworded) }, new Date());
    await old.delete('alice', [memoryId('alice', 'fact-2')]);
    await old.close();

    const second = await reembed(dataDir, ['--batch-size', '10']);
    // 29 memories and 56 keys left (the reworded memory lost its keys, the deleted one its own);
    // kept from the first run: 28 memories (not the reworded one) and 6 keys.
    expect(second).toMatchObject({ resumed: true, total: 85, embedded: 85 - 34, switched: true });

    const onFile = vectorsOnFile();
    expect(onFile.memories).toHaveLength(29);
    expect(onFile.keys).toHaveLength(56);
    for (const row of [...onFile.memories, ...onFile.keys]) expect(row).toEqual({ n: 1, size: WORDS_DIMENSION });
    expect(onFile.strays).toBe(29 + 56);

    const words = await createEmbedder(loadConfig({ MNEMO_EMBEDDER: 'words' }));
    const store = SqliteMemoryStore.open(dataDir, WORDS_DIMENSION, 'words');
    try {
      expect(store.builtWith()).toEqual({ embedder: 'words', dimension: WORDS_DIMENSION });
      // Searched as the API searches: the store's candidates ranked by the hybrid score.
      const hits = await createSearcher({ store, embedder: words })('alice', { query: 'green tea in the morning', limit: 1 });
      expect(hits[0]?.memory.memory).toBe(reworded);
    } finally {
      await store.close();
    }
    // The reworded memory's vector is the new embedder's vector of its new wording, not of the old one.
    const [expected] = await words.embed([reworded], 'document');
    expect(distanceOnFile(memoryId('alice', 'fact-1'), expected!)).toBeLessThan(1e-5);
  });
});

it('mnemo reembed refuses a Qdrant store with a message saying why and what to do instead', async () => {
  assertBuilt();
  const run = spawnCli(['reembed'], { MNEMO_STORE: 'qdrant', QDRANT_URL: 'http://127.0.0.1:9' });
  expect(await run.exited).toBe(1);
  expect(run.output().stderr).toMatch(/works on the SQLite store only[\s\S]*MNEMO_QDRANT_COLLECTION/);
});
