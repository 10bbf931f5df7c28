import { randomUUID } from 'node:crypto';
import { QdrantMemoryStore } from '@mnemo/store';
import { CONTRACT_DIMENSION, creating, describeMemoryStoreContract, toStore } from '../contract/memory-store.contract';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FakeQdrant, QDRANT_VERSION } from '../support/fake-qdrant';
import { QDRANT_OPENAPI_PATH, QdrantOpenApiCheck } from '../support/qdrant-openapi-check';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the Qdrant version', () => {
  it('is one release for the client, the compose image and the loopback Qdrant', () => {
    const root = path.join(__dirname, '../..');
    const client = JSON.parse(readFileSync(path.join(root, 'packages/store/package.json'), 'utf8')).dependencies['@qdrant/js-client-rest'];
    const image = /image: qdrant\/qdrant:v(\S+)/.exec(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'))?.[1];
    expect({ client, image }).toEqual({ client: QDRANT_VERSION, image: QDRANT_VERSION });
  });
});

(QdrantOpenApiCheck.load() ? describe : describe.skip)("Qdrant's OpenAPI document as a check", () => {
  it('catches a request and an answer that drift from it', async () => {
    const check = QdrantOpenApiCheck.load()!;
    check.checkRequest('POST', '/collections/c/points/scroll', { limit: 'ten' });
    check.checkAnswer('POST', '/collections/c/points/scroll', 200, { status: 'ok', time: 0, result: { points: [{ payload: {} }] } });
    check.checkAnswer('PUT', '/collections/c', 201, { status: 'ok', time: 0, result: true });
    expect(check.violations.map((v) => v.what)).toEqual(['request', 200, 201]);
    expect(() => check.assertNone()).toThrow(/limit|must be integer/);
  });

  it('accepts what Qdrant sends and answers', () => {
    const check = QdrantOpenApiCheck.load()!;
    check.checkRequest('POST', '/collections/c/points/scroll', { limit: 10, filter: { must: [{ is_empty: { key: 'valid_until' } }] }, order_by: { key: 'created_at', direction: 'desc' } });
    check.checkAnswer('POST', '/collections/c/points/scroll', 200, { status: 'ok', time: 0, result: { points: [{ id: 1, payload: {} }], next_page_offset: null } });
    check.checkAnswer('GET', '/', 200, { title: 'qdrant - vector search engine', version: '1.19.0', commit: null });
    expect(check.violations).toEqual([]);
  });
});

describe('QdrantMemoryStore against a loopback Qdrant', () => {
  const fake = new FakeQdrant();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  describeMemoryStoreContract('qdrant (loopback)', async () => {
    const collection = `contract_${randomUUID().slice(0, 8)}`;
    const store = await QdrantMemoryStore.open({ url: fake.url, collection, dimension: CONTRACT_DIMENSION });
    return { store, close: async () => void fake.collections.delete(collection) };
  });

  describe('what the adapter sends', () => {
    const collection = 'sent';
    let store: QdrantMemoryStore;

    beforeAll(async () => {
      fake.requests.length = 0;
      store = await QdrantMemoryStore.open({
        url: fake.url,
        collection,
        dimension: CONTRACT_DIMENSION,
        shardNumber: 6,
        replicationFactor: 2,
        writeConsistencyFactor: 2,
      });
    });

    it("asks Qdrant's version first: the client checks it is compatible", () => {
      expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/' });
    });

    it('creates the collection for the embedder and cluster layout, with tenant and filter indexes', () => {
      const create = fake.requests.find((r) => r.method === 'PUT' && r.path === `/collections/${collection}`);
      expect(create?.body).toEqual({
        vectors: { size: CONTRACT_DIMENSION, distance: 'Cosine' },
        shard_number: 6,
        replication_factor: 2,
        write_consistency_factor: 2,
      });
      const indexes = Object.fromEntries(
        fake.requests.filter((r) => r.path === `/collections/${collection}/index`).map((r) => [r.body.field_name, r.body.field_schema]),
      );
      expect(indexes).toEqual({
        user_id: { type: 'keyword', is_tenant: true },
        agent_id: 'keyword',
        thread_id: 'keyword',
        categories: 'keyword',
        type: 'keyword',
        attributes: 'keyword',
        created_at: 'datetime',
        // Every default read filters on it; strict mode refuses a filter on an unindexed key.
        valid_until: 'datetime',
        keys: expect.objectContaining({ type: 'text' }),
        memory: expect.objectContaining({ type: 'text' }),
      });
    });

    it('keeps history in its own collection, scoped by the same tenant index', () => {
      expect(fake.collections.has(`${collection}_history`)).toBe(true);
      const historyIndexes = fake.requests.filter((r) => r.path === `/collections/${collection}_history/index`).map((r) => r.body);
      expect(historyIndexes).toContainEqual({ field_name: 'user_id', field_schema: { type: 'keyword', is_tenant: true } });
    });

    it('writes UUID point ids and waits for every write; every filtered call carries the user', async () => {
      fake.requests.length = 0;
      const now = new Date('2024-03-20T10:00:00Z');
      await store.write('alice', 'job-1', creating('alice', 'job-1', [{ text: 'User lives in Oslo' }, { text: 'User likes tea' }]), now);
      await store.write('alice', 'job-2', creating('alice', 'job-2', [{ text: 'User likes tea' }]), now);
      const [hit] = await store.search('alice', { text: 'Oslo', vector: toStore('alice', { text: 'Oslo' }).vector, limit: 5, filter: { type: 'semantic' } });
      await store.list('alice', { page: 1, pageSize: 10, filter: { categories: ['identity'] } });
      await store.update('alice', hit!.memory.id, { type: 'episodic' }, now);
      await store.delete('alice', [hit!.memory.id]);
      await store.stats('alice');

      const upsert = fake.requests.find((r) => r.method === 'PUT' && r.path.endsWith('/points'));
      expect(upsert?.body.points.map((p: { id: string }) => p.id).every((id: string) => UUID.test(id))).toBe(true);
      expect(upsert?.body.points.every((p: { payload: { user_id: string } }) => p.payload.user_id === 'alice')).toBe(true);

      const writes = fake.requests.filter((r) => ['PUT', 'POST'].includes(r.method) && /\/points(\/(payload|delete|vectors))?$/.test(r.path) && !(r.method === 'POST' && r.path.endsWith('/points')));
      expect(writes.length).toBeGreaterThanOrEqual(4);
      expect(writes.every((r) => r.query.get('wait') === 'true')).toBe(true);

      const filtered = fake.pointRequests().filter((r) => r.body?.filter !== undefined || /query|scroll|count|delete|payload|facet/.test(r.path));
      expect(filtered.length).toBeGreaterThanOrEqual(8);
      for (const r of filtered) {
        expect(r.body.filter.must).toContainEqual({ key: 'user_id', match: { value: 'alice' } });
      }
    });

    it("never returns or changes another user's point addressed by id", async () => {
      const now = new Date();
      await store.write('bob', 'job-1', creating('bob', 'job-1', [{ text: 'User likes coffee' }]), now);
      const bobs = toStore('bob', { text: 'User likes coffee' }).memory.id;
      expect(await store.get('alice', bobs)).toBeNull();
      expect(await store.update('alice', bobs, { type: 'episodic' }, now)).toBeNull();
      expect(await store.delete('alice', [bobs])).toEqual([]);
      expect((await store.get('bob', bobs))?.type).toBe('semantic');
    });

    it('edits the payload through a filter that carries the user: Qdrant ignores a filter given with point ids', async () => {
      const now = new Date();
      await store.write('alice', 'job-edit', creating('alice', 'job-edit', [{ text: 'User plays chess' }]), now);
      const { memory, vector } = toStore('alice', { text: 'User plays chess' });
      fake.requests.length = 0;
      await store.update('alice', memory.id, { memory: 'User plays chess weekly', vector }, now);
      const setPayload = fake.requests.find((r) => r.path.endsWith('/points/payload'));
      expect(setPayload?.body.points).toBeUndefined();
      expect(setPayload?.body.filter.must).toEqual(
        expect.arrayContaining([{ key: 'user_id', match: { value: 'alice' } }, { has_id: [memory.id] }]),
      );
      expect((await store.get('alice', memory.id))?.memory).toBe('User plays chess weekly');
    });

    it('opens a fresh collection from two processes at once: the one that loses the race to create it carries on', async () => {
      const fresh = `fresh_${randomUUID().slice(0, 8)}`;
      const open = () => QdrantMemoryStore.open({ url: fake.url, collection: fresh, dimension: CONTRACT_DIMENSION });
      const [first, second] = await Promise.all([open(), open()]);
      await first.write('alice', 'job-1', creating('alice', 'job-1', [{ text: 'User likes tea' }]), new Date());
      expect(await second.count('alice')).toBe(1);
      // Opening again later keeps what is there.
      expect(await (await open()).count('alice')).toBe(1);
    });

    it('takes an id in uppercase as the same memory: Qdrant answers ids in lowercase', async () => {
      const now = new Date();
      await store.write('alice', 'job-case', creating('alice', 'job-case', [{ text: 'User keeps bees' }]), now);
      const id = toStore('alice', { text: 'User keeps bees' }).memory.id;
      expect((await store.get('alice', id.toUpperCase()))?.id).toBe(id);
      expect(await store.update('alice', id.toUpperCase(), { categories: ['hobbies'] }, now)).toMatchObject({ id, categories: ['hobbies'] });
      expect(await store.delete('alice', [id.toUpperCase()])).toEqual([id]);
      expect(await store.get('alice', id)).toBeNull();
      expect((await store.history('alice', id.toUpperCase())).map((e) => e.event)).toEqual(['created', 'updated', 'deleted']);
    });

    it('answers null, and records no edit, when the memory is deleted between reading and editing it', async () => {
      const now = new Date();
      await store.write('alice', 'job-race', creating('alice', 'job-race', [{ text: 'User sails', keys: [] }]), now);
      const id = toStore('alice', { text: 'User sails' }).memory.id;
      fake.interleave.set('/points/payload', () => void fake.collections.get(collection)!.points.delete(id));
      expect(await store.update('alice', id, { categories: ['hobbies'] }, now)).toBeNull();
      expect((await store.history('alice', id)).map((e) => e.event)).toEqual(['created']);
    });

    it('fails while Qdrant refuses connections and works again once it is back', async () => {
      await fake.refuseConnections();
      try {
        await expect(store.count('alice')).rejects.toThrow();
      } finally {
        await fake.acceptConnections();
      }
      expect(await store.count('alice')).toBeGreaterThanOrEqual(0);
    });

    it('refuses a collection built for another vector size', async () => {
      await expect(QdrantMemoryStore.open({ url: fake.url, collection, dimension: 32 })).rejects.toThrow(
        `holds ${CONTRACT_DIMENSION}-dimensional vectors, but the embedder produces 32`,
      );
    });
  });

  // Last, after everything above has talked to the loopback Qdrant.
  it("sent and answered only what Qdrant's OpenAPI document allows", () => {
    if (!fake.openapi) {
      const missing = `Qdrant's OpenAPI document is missing (${QDRANT_OPENAPI_PATH}): the loopback Qdrant was not held to it`;
      if (process.env.CI === 'true') throw new Error(missing);
      console.warn(missing);
      return;
    }
    fake.openapi.assertNone();
  });
});

/** The same contract against a real Qdrant, whenever one is configured. */
const realQdrant = process.env.QDRANT_URL;
(realQdrant ? describe : describe.skip)('QdrantMemoryStore against QDRANT_URL', () => {
  describeMemoryStoreContract('qdrant (real)', async () => {
    const collection = `mnemo_contract_${randomUUID().slice(0, 8)}`;
    const store = await QdrantMemoryStore.open({ url: realQdrant!, apiKey: process.env.QDRANT_API_KEY, collection, dimension: CONTRACT_DIMENSION });
    return {
      store,
      close: async () => {
        await fetch(`${realQdrant}/collections/${collection}`, {
          method: 'DELETE',
          headers: process.env.QDRANT_API_KEY ? { 'api-key': process.env.QDRANT_API_KEY } : {},
        });
      },
    };
  });
});
