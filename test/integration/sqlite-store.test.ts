import { memoryId } from '@mnemo/core';
import { SqliteMemoryStore, type MemoryToStore } from '@mnemo/store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

function item(userId: string, text: string, jobId = 'job-1', dimension = 8): MemoryToStore {
  const vector = Array.from({ length: dimension }, (_, i) => (i === text.length % dimension ? 1 : 0));
  return {
    memory: {
      id: memoryId(userId, text),
      user_id: userId,
      memory: text,
      categories: ['identity'],
      type: 'semantic',
      event_time: null,
      agent_id: 'agent',
      thread_id: 'thread',
      source: 'chat',
      provenance: { job_id: jobId, message_ids: ['0'] },
    },
    vector,
  };
}

describe('SqliteMemoryStore', () => {
  let dir: string;
  let store: SqliteMemoryStore;
  const now = new Date('2024-03-20T10:00:00Z');

  beforeEach(() => {
    dir = makeTempDir('store');
    store = SqliteMemoryStore.open(dir, 8);
  });
  afterEach(async () => {
    await store.close();
    removeTempDir(dir);
  });

  it('creates, then touches a fact seen again from another job', async () => {
    const [first] = await store.upsert('alice', [item('alice', 'User lives in Oslo')], now);
    expect(first).toMatchObject({ status: 'created', memory: { mentions: 1, memory: 'User lives in Oslo' } });
    const later = new Date('2024-04-01T00:00:00Z');
    const [second] = await store.upsert('alice', [item('alice', 'User lives in Oslo', 'job-2')], later);
    expect(second).toMatchObject({ status: 'touched', memory: { mentions: 2, updated_at: later.toISOString() } });
    expect(await store.count('alice')).toBe(1);
  });

  it('treats the same job writing again as a replay, not a new mention', async () => {
    await store.upsert('alice', [item('alice', 'User lives in Oslo')], now);
    const [replay] = await store.upsert('alice', [item('alice', 'User lives in Oslo')], now);
    expect(replay).toMatchObject({ status: 'created', memory: { mentions: 1 } });
  });

  it('never shows one user another user\'s memories', async () => {
    await store.upsert('alice', [item('alice', 'User lives in Oslo')], now);
    const id = memoryId('alice', 'User lives in Oslo');
    expect(await store.get('bob', id)).toBeNull();
    expect(await store.count('bob')).toBe(0);
    expect((await store.list('bob', { page: 1, pageSize: 10 })).items).toEqual([]);
    expect(await store.get('alice', id)).toMatchObject({ id, user_id: 'alice' });
  });

  it('pages through a user\'s memories newest first', async () => {
    for (let i = 0; i < 5; i++) {
      await store.upsert('alice', [item('alice', `User fact number ${i}`)], new Date(now.getTime() + i * 1000));
    }
    const page1 = await store.list('alice', { page: 1, pageSize: 2 });
    const page3 = await store.list('alice', { page: 3, pageSize: 2 });
    expect(page1.total).toBe(5);
    expect(page1.items.map((m) => m.memory)).toEqual(['User fact number 4', 'User fact number 3']);
    expect(page3.items.map((m) => m.memory)).toEqual(['User fact number 0']);
  });

  it('refuses a vector of the wrong size', async () => {
    await expect(store.upsert('alice', [item('alice', 'x y', 'job-1', 4)], now)).rejects.toThrow(/4 dimensions, store expects 8/);
    expect(await store.count('alice')).toBe(0);
  });

  it('refuses to open a data dir built for another vector size', async () => {
    await store.close();
    expect(() => SqliteMemoryStore.open(dir, 16)).toThrow(/built for 8-dimensional vectors, but the embedder produces 16/);
    store = SqliteMemoryStore.open(dir, 8);
  });

  it('is shared safely by two connections on the same file (API and worker)', async () => {
    const other = SqliteMemoryStore.open(dir, 8);
    try {
      await Promise.all([
        store.upsert('alice', [item('alice', 'User likes tea')], now),
        other.upsert('alice', [item('alice', 'User likes coffee')], now),
      ]);
      expect(await other.count('alice')).toBe(2);
      expect(await store.count('alice')).toBe(2);
    } finally {
      await other.close();
    }
  });
});
