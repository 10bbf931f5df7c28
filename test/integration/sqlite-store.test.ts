import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMemoryStore } from '@mnemo/store';
import { CONTRACT_DIMENSION, describeMemoryStoreContract, toStore } from '../contract/memory-store.contract';
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

  it('refuses to open a data dir built for another vector size', async () => {
    const store = SqliteMemoryStore.open(dir, 8);
    await store.close();
    expect(() => SqliteMemoryStore.open(dir, 16)).toThrow(/built for 8-dimensional vectors, but the embedder produces 16/);
  });

  it('reads a store written before provenance was a list and last_seen_at existed', async () => {
    const store = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    const [{ memory }] = await store.upsert('alice', [toStore('alice', { text: 'User likes tea' })], new Date('2024-01-01T00:00:00Z'));
    await store.close();
    const raw = new Database(path.join(dir, 'memories.db'));
    raw.exec(`ALTER TABLE memories DROP COLUMN last_seen_at; UPDATE memories SET provenance = '{"job_id":"old-job","message_ids":["3"]}'`);
    raw.close();

    const reopened = SqliteMemoryStore.open(dir, CONTRACT_DIMENSION);
    try {
      expect(await reopened.get('alice', memory.id)).toMatchObject({
        last_seen_at: '2024-01-01T00:00:00.000Z',
        provenance: [{ job_id: 'old-job', message_ids: ['3'], thread_id: 'thread-1', agent_id: 'agent-1', source: 'chat' }],
      });
      const [touched] = await reopened.upsert('alice', [toStore('alice', { text: 'User likes tea', job: 'new-job' })], new Date('2024-02-01T00:00:00Z'));
      expect(touched!.memory.provenance.map((p) => p.job_id)).toEqual(['old-job', 'new-job']);
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
        a.upsert('alice', [toStore('alice', { text: 'User likes tea' })], now),
        b.upsert('alice', [toStore('alice', { text: 'User likes coffee' })], now),
      ]);
      expect(await a.count('alice')).toBe(2);
      expect(await b.count('alice')).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
