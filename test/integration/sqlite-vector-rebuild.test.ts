import { SqliteMemoryStore } from '@mnemo/store';
import { creating } from '../contract/memory-store.contract';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

/** The store side of `mnemo reembed`, driven by hand. */
describe('SqliteMemoryStore vector rebuild', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('rebuild');
  });
  afterEach(() => removeTempDir(dir));

  const seeded = async () => {
    const store = SqliteMemoryStore.open(dir, 64, 'hashing');
    await store.write('alice', 'job-1', creating('alice', 'job-1', [{ text: 'User likes tea', keys: ['I like tea'] }, { text: 'User lives in Ottawa' }]), new Date());
    return store;
  };
  const vector = (size: number, at: number) => Array.from({ length: size }, (_, i) => (i === at ? 1 : 0));

  it('does not switch while texts are pending, and a new memory written meanwhile is rebuilt too', async () => {
    const store = await seeded();
    const rebuild = store.rebuildVectors();
    expect(await rebuild.begin({ embedder: 'words', dimension: 4 })).toEqual({ total: 3, done: 0, resumed: false });
    const items = await rebuild.pending(10);
    expect(items.map((i) => [i.source, i.text])).toEqual([['memory', 'User likes tea'], ['memory', 'User lives in Ottawa'], ['key', 'I like tea']]);
    await rebuild.save(items.map((item, i) => ({ item, vector: vector(4, i) })));

    await store.write('alice', 'job-2', creating('alice', 'job-2', [{ text: 'User owns a cat' }]), new Date());
    expect(await rebuild.finish()).toBe(false);
    expect(store.builtWith()).toEqual({ embedder: 'hashing', dimension: 64 });
    const [late] = await rebuild.pending(10);
    expect(late?.text).toBe('User owns a cat');
    await rebuild.save([{ item: late!, vector: vector(4, 3) }]);
    expect(await rebuild.finish()).toBe(true);
    expect(store.builtWith()).toEqual({ embedder: 'words', dimension: 4 });
    const hits = await store.search('alice', { vector: vector(4, 3), text: '', limit: 3 });
    expect(hits.find((h) => h.vector_distance === 0)?.memory.memory).toBe('User owns a cat');
    await rebuild.close();
  });

  it('discards vectors staged for another embedder when the target changes', async () => {
    const store = await seeded();
    const rebuild = store.rebuildVectors();
    await rebuild.begin({ embedder: 'words', dimension: 4 });
    await rebuild.save((await rebuild.pending(2)).map((item, i) => ({ item, vector: vector(4, i) })));
    expect(await rebuild.begin({ embedder: 'words', dimension: 4 })).toEqual({ total: 3, done: 2, resumed: true });
    expect(await rebuild.begin({ embedder: 'voyage', dimension: 8 })).toEqual({ total: 3, done: 0, resumed: false });
    await expect(rebuild.save([{ item: (await rebuild.pending(1))[0]!, vector: vector(4, 0) }])).rejects.toThrow(/rebuild expects 8/);
    await rebuild.close();
  });
});
