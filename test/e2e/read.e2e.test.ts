import { FakeQdrant } from '../support/fake-qdrant';
import { startServices, type Services } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(60_000);

/**
 * The read side as a client uses it, against the real processes: three
 * conversations for alice, one for bob, then search, filter, list, correct,
 * delete and profile — and bob never sees alice's data.
 */
describe.each([
  ['sqlite', 1],
  ['qdrant', 1],
  // Several API processes share the file with the worker: each sees its writes and deletes at once.
  ['sqlite', 2],
])('search, list, manage and profile end to end (%s store, %i API processes)', (storeKind, apiProcesses) => {
  const prefix = uniquePrefix('e2e-read');
  const dataDir = makeTempDir('e2e-read');
  // Qdrant cannot run here: the processes talk to the loopback stand-in, or to QDRANT_URL when set.
  const qdrant = new FakeQdrant();
  let services: Services;
  let alice: string;
  let bob: string;

  const call = async (path: string, key: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${services.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const store = (key: string, content: string[], thread: string) =>
    call('/v1/memories', key, 'POST', {
      messages: content.map((c, i) => ({ role: i % 2 ? 'assistant' : 'user', content: c })),
      agent_id: 'e2e-agent',
      thread_id: thread,
      source: 'chat',
    });
  const search = (key: string, body: object) => call('/v1/memories/search', key, 'POST', body);
  const allIds = async (key: string) => (await call('/v1/memories?page_size=100', key)).body.data.map((m: { id: string }) => m.id) as string[];

  beforeAll(async () => {
    const storeEnv: Record<string, string> = {};
    if (storeKind === 'qdrant') {
      if (!process.env.QDRANT_URL) await qdrant.start();
      Object.assign(storeEnv, {
        MNEMO_STORE: 'qdrant',
        QDRANT_URL: process.env.QDRANT_URL ?? qdrant.url,
        MNEMO_QDRANT_COLLECTION: `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}`,
      });
    }
    services = await startServices({
      REDIS_URL: TEST_REDIS_URL,
      MNEMO_DATA_DIR: dataDir,
      MNEMO_QUEUE_PREFIX: prefix,
      MNEMO_API_PROCESSES: String(apiProcesses),
      ...storeEnv,
    });
    alice = await services.createKey('e2e-read-alice');
    bob = await services.createKey('e2e-read-bob');
    expect((await store(alice, ['I am a backend engineer at Shopify in Ottawa.', 'Nice!', 'I mostly write Ruby and Go.'], 'career')).status).toBe(200);
    expect((await store(alice, ['My husband and I have two daughters.', 'Lovely!', 'I love kayaking on weekends.'], 'family')).status).toBe(200);
    expect((await store(alice, ['I am allergic to penicillin.'], 'health')).status).toBe(200);
    expect((await store(bob, ['I work at Shopify as a designer and I live in Montreal.'], 'bob')).status).toBe(200);
  });

  afterAll(async () => {
    await services?.stop();
    if (storeKind === 'qdrant' && process.env.QDRANT_URL) {
      await fetch(`${process.env.QDRANT_URL}/collections/${prefix}`, { method: 'DELETE' });
    }
    await qdrant.stop().catch(() => undefined);
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('ranks the career memory first for a query naming the company', async () => {
    const { status, body } = await search(alice, { query: 'Shopify' });
    expect(status).toBe(200);
    expect(body.memories[0].memory).toBe('User is a backend engineer at Shopify in Ottawa');
    expect(body.memories[0].categories).toContain('career');
  });

  it('filters by category and by thread', async () => {
    const health = await search(alice, { query: 'medical', categories: ['health'], limit: 100 });
    expect(health.body.memories.map((m: { memory: string }) => m.memory)).toContain('User is allergic to penicillin');
    expect(health.body.memories.every((m: { categories: string[] }) => m.categories.includes('health'))).toBe(true);
    const family = await search(alice, { query: 'user', thread_id: 'family', limit: 100 });
    expect(family.body.memories.length).toBeGreaterThanOrEqual(2);
    expect(family.body.memories.every((m: { thread_id: string }) => m.thread_id === 'family')).toBe(true);
  });

  it("never lets bob see alice's data by any endpoint", async () => {
    const ids = await allIds(alice);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect((await allIds(bob)).some((id) => ids.includes(id))).toBe(false);
    const bobSearch = await search(bob, { query: 'Shopify Ottawa Ruby daughters kayaking penicillin', limit: 100 });
    expect(bobSearch.body.memories.every((m: { id: string }) => !ids.includes(m.id))).toBe(true);
    for (const id of ids) {
      expect((await call(`/v1/memories/${id}`, bob)).status).toBe(404);
    }
    expect((await call(`/v1/memories/${ids[0]}`, bob, 'PATCH', { type: 'episodic' })).status).toBe(404);
    expect((await call(`/v1/memories/${ids[0]}`, bob, 'DELETE')).status).toBe(404);
    expect((await call('/v1/memories/batch-delete', bob, 'POST', { memory_ids: ids })).body.deleted_count).toBe(0);
    const profile = await call('/v1/users/profile?refresh=true', bob);
    expect(JSON.stringify(profile.body)).not.toMatch(/Ottawa|daughters|penicillin/);
    expect((await allIds(alice)).length).toBe(ids.length);
  });

  it('pages that add up to total_items', async () => {
    const first = await call('/v1/memories?page=1&page_size=2', alice);
    const { total_items, total_pages } = first.body.pagination;
    const seen: string[] = [];
    for (let page = 1; page <= total_pages; page++) {
      seen.push(...(await call(`/v1/memories?page=${page}&page_size=2`, alice)).body.data.map((m: { id: string }) => m.id));
    }
    expect(seen).toHaveLength(total_items);
    expect(new Set(seen).size).toBe(total_items);
  });

  it('PATCH changes what search finds; DELETE removes from search and list', async () => {
    const [career] = (await search(alice, { query: 'Shopify' })).body.memories;
    const patched = await call(`/v1/memories/${career.id}`, alice, 'PATCH', { memory: 'User is a staff engineer at Wealthsimple in Toronto' });
    expect(patched.status).toBe(200);
    expect((await search(alice, { query: 'Wealthsimple' })).body.memories[0].id).toBe(career.id);

    const before = (await call('/v1/memories', alice)).body.pagination.total_items;
    expect((await call(`/v1/memories/${career.id}`, alice, 'DELETE')).status).toBe(200);
    const after = await search(alice, { query: 'Wealthsimple', limit: 100 });
    expect(after.body.memories.map((m: { id: string }) => m.id)).not.toContain(career.id);
    expect((await call('/v1/memories', alice)).body.pagination.total_items).toBe(before - 1);
  });

  it('shows a profile whose counts match the list', async () => {
    const profile = await call('/v1/users/profile?refresh=true', alice);
    const list = await call('/v1/memories?page_size=100', alice);
    expect(profile.body.stats.total_memories).toBe(list.body.pagination.total_items);
    for (const [category, count] of Object.entries(profile.body.stats.by_category)) {
      const filtered = await call(`/v1/memories?categories=${category}`, alice);
      expect(filtered.body.pagination.total_items).toBe(count);
    }
    const categories = await call('/v1/categories', alice);
    for (const c of categories.body.categories) expect(c.count).toBe(profile.body.stats.by_category[c.name] ?? 0);
  });

  if (storeKind === 'qdrant') {
    // Last: the processes' whole conversation with the loopback Qdrant, held to Qdrant's own document.
    it("spoke to the loopback Qdrant only as Qdrant's OpenAPI document allows", () => {
      qdrant.openapi?.assertNone();
    });
  }

  if (apiProcesses > 1) {
    it('stops every API process on SIGTERM', async () => {
      expect(await services.api.stop('SIGTERM')).toBe(0);
      await expect(fetch(`${services.base}/healthz`)).rejects.toThrow();
    });
  }
});
