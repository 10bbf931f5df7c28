import request from 'supertest';
import { OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

/** Three conversations for alice, one for bob, stored through the real pipeline. */
const CONVERSATIONS = {
  career: {
    messages: [
      { role: 'user', content: 'I work as a senior data engineer at Spotify in Stockholm.' },
      { role: 'assistant', content: 'Nice! What do you work on?' },
      { role: 'user', content: 'I build the streaming pipelines for royalty reporting.' },
    ],
    agent_id: 'career-bot',
    thread_id: 'thread-career',
    source: 'chat',
  },
  life: {
    messages: [
      { role: 'user', content: 'My partner and I adopted a rescue greyhound named Pixel.' },
      { role: 'assistant', content: 'Greyhounds are lovely! How is Pixel settling in?' },
      { role: 'user', content: 'Great. I also love bouldering on weekends.' },
    ],
    agent_id: 'life-bot',
    thread_id: 'thread-life',
    source: 'chat',
  },
  health: {
    messages: [{ role: 'user', content: 'I am allergic to shellfish and I have been vegetarian since 2019.' }],
    agent_id: 'life-bot',
    thread_id: 'thread-health',
    source: 'chat',
  },
  bob: {
    messages: [{ role: 'user', content: 'I work at Spotify as a product designer and I live in Gothenburg.' }],
    agent_id: 'career-bot',
    thread_id: 'thread-bob',
    source: 'chat',
  },
};

describe('read and manage memories', () => {
  let stack: Stack;
  const as = (key: string) => ({
    get: (path: string) => request(stack.app).get(path).set('X-API-Key', key),
    post: (path: string, body: object) => request(stack.app).post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => request(stack.app).patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => request(stack.app).delete(path).set('X-API-Key', key),
  });
  const alice = () => as(USER_KEY);
  const bob = () => as(OTHER_KEY);
  const search = (body: object, key = USER_KEY) => as(key).post('/v1/memories/search', body);

  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
    for (const name of ['career', 'life', 'health'] as const) {
      expect((await alice().post('/v1/memories', CONVERSATIONS[name])).status).toBe(200);
    }
    expect((await bob().post('/v1/memories', CONVERSATIONS.bob)).status).toBe(200);
  });
  afterAll(() => stack.close());

  it('finds the career memory first when the query names the company', async () => {
    const res = await search({ query: 'Spotify', include_bio: false });
    expect(res.status).toBe(200);
    expect(res.body.user_bio).toBeNull();
    expect(res.body.memories[0].memory).toBe('User works as a senior data engineer at Spotify in Stockholm');
    expect(res.body.memories[0]).toEqual({
      id: expect.any(String),
      memory: expect.any(String),
      categories: expect.arrayContaining(['career']),
      type: 'semantic',
      vector_distance: expect.any(Number),
      raw_vector_distance: expect.any(Number),
      score: expect.any(Number),
      source: 'chat',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      agent_id: 'career-bot',
      thread_id: 'thread-career',
      valid_until: null,
      superseded_by: null,
    });
    expect(res.body.memories.every((m: { memory: string }) => !m.memory.includes('Gothenburg'))).toBe(true);
  });

  it('finds a rare name with the offline embedder, and filters by category, type and thread', async () => {
    expect((await search({ query: 'Pixel' })).body.memories[0].memory).toMatch(/greyhound named Pixel/);
    const health = await search({ query: 'food', categories: ['health'] });
    expect(health.body.memories.length).toBeGreaterThan(0);
    expect(health.body.memories.every((m: { categories: string[] }) => m.categories.includes('health'))).toBe(true);
    const thread = await search({ query: 'what does the user do', thread_id: 'thread-life', limit: 100 });
    expect(thread.body.memories.every((m: { thread_id: string }) => m.thread_id === 'thread-life')).toBe(true);
    const none = await search({ query: 'Spotify', type: 'episodic', thread_id: 'thread-health' });
    expect(none.status).toBe(200);
    expect(none.body.memories).toEqual([]);
  });

  it('reranks a larger pool and can include the bio', async () => {
    const res = await search({ query: 'dog greyhound', rerank: true, limit: 2, include_bio: true });
    expect(res.body.memories).toHaveLength(2);
    expect(res.body.memories[0].rerank_score).toBeGreaterThanOrEqual(res.body.memories[1].rerank_score);
    expect(res.body.memories[0].memory).toMatch(/greyhound/);
    expect(res.body.user_bio).toMatch(/Spotify/);
  });

  it('refuses bad search input clearly', async () => {
    const empty = await search({ query: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].field).toBe('query');
    expect((await search({ query: 'x', limit: 101 })).body.error.details[0].field).toBe('limit');
    const unknown = await search({ query: 'x', categories: ['careers'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe('Unknown category: careers');
    expect(unknown.body.error.details[0].valid).toContain('career');
  });

  it('pages through the list, and the pages add up to total_items', async () => {
    const first = await alice().get('/v1/memories?page=1&page_size=2');
    expect(first.status).toBe(200);
    const total = first.body.pagination.total_items;
    expect(total).toBeGreaterThanOrEqual(5);
    expect(first.body.pagination).toEqual({
      page: 1,
      page_size: 2,
      total_items: total,
      total_pages: Math.ceil(total / 2),
      has_next: true,
      has_previous: false,
    });
    const ids: string[] = [];
    for (let page = 1; page <= first.body.pagination.total_pages; page++) {
      const res = await alice().get(`/v1/memories?page=${page}&page_size=2`);
      ids.push(...res.body.data.map((m: { id: string }) => m.id));
    }
    expect(new Set(ids).size).toBe(total);
    const filtered = await alice().get('/v1/memories?categories=relationships,health&page_size=100');
    expect(filtered.body.data.every((m: { categories: string[] }) => m.categories.some((c) => ['relationships', 'health'].includes(c)))).toBe(true);
    expect((await alice().get('/v1/memories?page_size=500')).status).toBe(400);
    expect((await alice().get('/v1/memories?type=sometimes')).status).toBe(400);
  });

  it("never shows bob any of alice's memories, by any endpoint", async () => {
    const { body } = await alice().get('/v1/memories?page_size=100');
    const aliceIds: string[] = body.data.map((m: { id: string }) => m.id);
    const bobList = await bob().get('/v1/memories?page_size=100');
    expect(bobList.body.data.map((m: { id: string }) => m.id).some((id: string) => aliceIds.includes(id))).toBe(false);
    const bobSearch = await search({ query: 'Spotify data engineer Stockholm greyhound', limit: 100 }, OTHER_KEY);
    expect(bobSearch.body.memories.every((m: { id: string }) => !aliceIds.includes(m.id))).toBe(true);
    for (const id of aliceIds.slice(0, 2)) {
      expect((await bob().get(`/v1/memories/${id}`)).status).toBe(404);
      expect((await bob().patch(`/v1/memories/${id}`, { type: 'episodic' })).status).toBe(404);
      expect((await bob().delete(`/v1/memories/${id}`)).status).toBe(404);
    }
    const batch = await bob().post('/v1/memories/batch-delete', { memory_ids: aliceIds });
    expect(batch.body).toMatchObject({ deleted_count: 0, not_found: aliceIds });
    expect((await alice().get('/v1/memories?page_size=100')).body.pagination.total_items).toBe(aliceIds.length);
    expect((await bob().get(`/v1/memories?user_id=alice`)).status).toBe(403);
    const bobProfile = await bob().get('/v1/users/profile');
    expect(JSON.stringify(bobProfile.body)).not.toMatch(/Stockholm|Pixel/);
  });

  it('lets a service key read a named user', async () => {
    const res = await as(SERVICE_KEY).get('/v1/memories?user_id=alice&page_size=100');
    expect(res.status).toBe(200);
    expect(res.body.pagination.total_items).toBeGreaterThanOrEqual(5);
  });

  it('PATCH re-embeds the text, and search follows it', async () => {
    const [hit] = (await search({ query: 'Spotify Stockholm' })).body.memories;
    const patched = await alice().patch(`/v1/memories/${hit.id}`, {
      memory: 'User works as a staff data engineer at Klarna',
      categories: ['career', 'finance'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: hit.id, memory: 'User works as a staff data engineer at Klarna', categories: ['career', 'finance'] });
    expect((await search({ query: 'Klarna' })).body.memories[0].id).toBe(hit.id);
    expect((await alice().get(`/v1/memories/${hit.id}`)).body.memory).toMatch(/Klarna/);

    expect((await alice().patch(`/v1/memories/${hit.id}`, {})).status).toBe(400);
    expect((await alice().patch(`/v1/memories/${hit.id}`, { categories: ['nope'] })).status).toBe(400);
    expect((await alice().patch(`/v1/memories/${hit.id}`, { owner: 'x' })).status).toBe(400);
    expect((await alice().patch('/v1/memories/not-a-uuid', { type: 'semantic' })).status).toBe(400);
  });

  it('DELETE removes a memory from search and list; batch-delete reports what it did not find', async () => {
    const [hit] = (await search({ query: 'bouldering' })).body.memories;
    expect(hit.memory).toMatch(/bouldering/);
    const before = (await alice().get('/v1/memories')).body.pagination.total_items;
    expect((await alice().delete(`/v1/memories/${hit.id}`)).body).toEqual({ success: true, deleted_id: hit.id });
    expect((await alice().delete(`/v1/memories/${hit.id}`)).status).toBe(404);
    expect((await search({ query: 'bouldering', limit: 100 })).body.memories.map((m: { id: string }) => m.id)).not.toContain(hit.id);
    expect((await alice().get('/v1/memories')).body.pagination.total_items).toBe(before - 1);

    const history = await alice().get(`/v1/memories/${hit.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: { event: string }) => e.event)).toEqual(['created', 'deleted']);
    expect(history.body.events[1].actor).toEqual(expect.any(String));
    expect((await bob().get(`/v1/memories/${hit.id}/history`)).status).toBe(404);

    const [other] = (await search({ query: 'shellfish' })).body.memories;
    const batch = await alice().post('/v1/memories/batch-delete', { memory_ids: [other.id, hit.id, 'garbage'] });
    expect(batch.body).toEqual({ success: true, deleted_count: 1, deleted: [other.id], not_found: [hit.id, 'garbage'] });
    expect((await alice().post('/v1/memories/batch-delete', { memory_ids: [] })).status).toBe(400);
  });

  it('lists the categories with descriptions and counts that match the list', async () => {
    const res = await alice().get('/v1/categories');
    expect(res.body.categories).toHaveLength(10);
    const career = res.body.categories.find((c: { name: string }) => c.name === 'career');
    expect(career.description).toMatch(/Work/);
    const listed = await alice().get('/v1/memories?categories=career&page_size=100');
    expect(career.count).toBe(listed.body.pagination.total_items);
  });

  it('builds a profile whose counts match the list', async () => {
    // refresh: a cached profile may trail the latest change by the debounce delay.
    const res = await alice().get('/v1/users/profile?refresh=true');
    expect(res.status).toBe(200);
    const total = (await alice().get('/v1/memories')).body.pagination.total_items;
    expect(res.body.stats.total_memories).toBe(total);
    expect(res.body.stats.by_type.semantic + res.body.stats.by_type.episodic).toBe(total);
    expect(res.body.user_bio).toMatch(/Klarna/);
    expect(res.body.profiles.career.count).toBe(res.body.stats.by_category.career);
    expect(res.body.stats.date_range.first_memory <= res.body.stats.date_range.last_memory).toBe(true);
  });
});

describe('custom categories', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_CUSTOM_CATEGORIES: 'gardening:Plants, vegetables and the garden' });
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  it('are listed, assigned by the extractor, and accepted as filters', async () => {
    const store = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', USER_KEY)
      .send({ messages: [{ role: 'user', content: 'I grow tomatoes and other vegetables in my garden.' }], agent_id: 'a', thread_id: 't', source: 'chat' });
    expect(store.body.categories_detected).toContain('gardening');
    const categories = await request(stack.app).get('/v1/categories').set('X-API-Key', USER_KEY);
    expect(categories.body.categories.find((c: { name: string }) => c.name === 'gardening')).toEqual({
      name: 'gardening',
      description: 'Plants, vegetables and the garden',
      builtin: false,
      count: 1,
    });
    const filtered = await request(stack.app).get('/v1/memories?categories=gardening').set('X-API-Key', USER_KEY);
    expect(filtered.body.pagination.total_items).toBe(1);
  });
});

describe('profile rebuilds', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_PROFILE_DEBOUNCE_MS: '300' });
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  const waitFor = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('rebuilds once after a burst of ingestion, and reads come from the cache', async () => {
    const post = (content: string, thread: string) =>
      request(stack.app)
        .post('/v1/memories?async=true')
        .set('X-API-Key', USER_KEY)
        .send({ messages: [{ role: 'user', content }], agent_id: 'a', thread_id: thread, source: 'chat' });
    await post('I live in Lyon.', 't1');
    await post('I work as a pharmacist.', 't2');
    await post('I play the cello in an orchestra.', 't3');
    await waitFor(async () => ((await stack.profileCache.get('alice'))?.stats.total_memories ?? 0) === 3, 'the profile to count 3 memories');
    const counts = await stack.profiles.queue.getJobCounts('completed', 'delayed', 'waiting', 'active');
    expect(counts.completed).toBeLessThanOrEqual(2);

    const cached = await stack.profileCache.get('alice');
    const res = await request(stack.app).get('/v1/users/profile').set('X-API-Key', USER_KEY);
    expect(res.body.generated_at).toBe(cached!.generated_at);
    expect(res.body.user_bio).toMatch(/Lyon/);
  });

  it('rebuilds after a delete, and ?refresh=true rebuilds at once', async () => {
    const list = await request(stack.app).get('/v1/memories').set('X-API-Key', USER_KEY);
    const lyon = list.body.data.find((m: { memory: string }) => /Lyon/.test(m.memory));
    await request(stack.app).delete(`/v1/memories/${lyon.id}`).set('X-API-Key', USER_KEY);
    const fresh = await request(stack.app).get('/v1/users/profile?refresh=true').set('X-API-Key', USER_KEY);
    expect(fresh.body.stats.total_memories).toBe(2);
    expect(fresh.body.user_bio).not.toMatch(/Lyon/);
    await waitFor(async () => (await stack.profiles.queue.getJobCounts('delayed', 'waiting', 'active')).delayed === 0, 'the rebuild');
    expect((await stack.profileCache.get('alice'))!.stats.total_memories).toBe(2);
  });

  it('builds a profile on first read for a user with no cache', async () => {
    const res = await request(stack.app).get('/v1/users/profile').set('X-API-Key', OTHER_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: 'bob', user_bio: '', stats: { total_memories: 0 } });
  });
});
