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
