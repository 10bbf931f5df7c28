import request from 'supertest';
import { OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';
import { uniquePrefix } from '../support/redis';

const conversation = (content: string) => ({ messages: [{ role: 'user', content }], agent_id: 'a', thread_id: content, source: 'chat' });

describe('rate limits per user, shared by every API process', () => {
  const prefix = uniquePrefix('rate');
  let a: Stack;
  let b: Stack;
  beforeAll(async () => {
    // Two API processes (two apps) on one Redis.
    const env = { MNEMO_QUEUE_PREFIX: prefix, MNEMO_RATE_LIMIT_SEARCH: '3', MNEMO_RATE_LIMIT_READ: '1000' };
    a = await startStack(env);
    b = await startStack(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const search = (stack: Stack, key = USER_KEY) => request(stack.app).post('/v1/memories/search').set('X-API-Key', key).send({ query: 'anything' });

  it('counts across processes, says what is left, and answers 429 with Retry-After when the budget is spent', async () => {
    const first = await search(a);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"search";q=3;w=60');
    expect(first.headers.ratelimit).toMatch(/^"search";r=2;t=\d+$/);
    expect((await search(b)).headers.ratelimit).toMatch(/^"search";r=1;t=/);
    expect((await search(a)).status).toBe(200);

    const sentAt = Math.floor(Date.now() / 1000);
    const refused = await search(b);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers.ratelimit).toMatch(/^"search";r=0;t=\d+$/);
    // MemSync clients read the X-RateLimit-* triple; on the 429 too, with the same numbers.
    expect(refused.headers['x-ratelimit-limit']).toBe('3');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    const t = Number(/t=(\d+)$/.exec(refused.headers.ratelimit)![1]);
    // A Unix time in seconds: the moment of the answer plus the seconds the IETF header gives.
    expect(Number(refused.headers['x-ratelimit-reset']) - t).toBeGreaterThanOrEqual(sentAt);
    expect(Number(refused.headers['x-ratelimit-reset']) - t).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(refused.body).toMatchObject({
      status: 'error',
      error: { code: 'RATE_LIMIT_EXCEEDED', details: { policy: 'search', limit_per_minute: 3 } },
    });

    // Another user, and another kind of request, have their own budgets.
    expect((await search(a, OTHER_KEY)).status).toBe(200);
    const list = await request(a.app).get('/v1/memories').set('X-API-Key', USER_KEY);
    expect(list.status).toBe(200);
    expect(list.headers['ratelimit-policy']).toBe('"read";q=1000;w=60');
  });
});

// Issue 13, Low 10 and Medium 9: other spellings of a route fell into the looser read/write budgets, and a batch ignored the store budget.
describe('rate-limit classes follow the route, however it is spelled', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_RATE_LIMIT_STORE: '3', MNEMO_RATE_LIMIT_SEARCH: '2', MNEMO_RATE_LIMIT_WRITE: '1000', MNEMO_RATE_LIMIT_READ: '1000' });
  });
  afterAll(() => stack.close());

  it('counts /v1/memories/, /V1/memories and /v1/Memories/ in the store budget', async () => {
    const store = (path: string, text: string) => request(stack.app).post(`${path}?async=true`).set('X-API-Key', USER_KEY).send(conversation(text));
    for (const [path, text] of [['/v1/memories', 'one'], ['/v1/memories/', 'two'], ['/V1/memories', 'three']] as const) {
      const res = await store(path, text);
      expect(res.status).toBe(202);
      expect(res.headers['ratelimit-policy']).toBe('"store";q=3;w=60');
    }
    const refused = await store('/v1/Memories/', 'four');
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ policy: 'store' });
  });

  it('counts /v1/Memories/Search and /V1/MEMORIES/SEARCH/ in the search budget', async () => {
    const search = (path: string) => request(stack.app).post(path).set('X-API-Key', USER_KEY).send({ query: 'anything' });
    expect((await search('/v1/memories/search')).status).toBe(200);
    expect((await search('/v1/Memories/Search')).headers['ratelimit-policy']).toBe('"search";q=2;w=60');
    const refused = await search('/V1/MEMORIES/SEARCH/');
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ policy: 'search' });
  });

  it('refuses a batch while its user is over the store budget', async () => {
    for (const text of ['b1', 'b2', 'b3']) {
      expect((await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', OTHER_KEY).send(conversation(text))).status).toBe(202);
    }
    const refused = await request(stack.app).post('/v1/memories/batch').set('X-API-Key', OTHER_KEY).send({ conversations: [conversation('b4')] });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', details: { policy: 'store', limit_per_minute: 3 } });
  });
});

describe('the daily model budget per user', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Claude configured (no worker runs, so no call is made); two conversations a day each.
    stack = await startStack({ ANTHROPIC_API_KEY: 'sk-ant-test', MNEMO_LLM_DAILY_CONVERSATIONS: '2' });
  });
  afterAll(() => stack.close());

  it('refuses conversations past the cap, item by item in a batch, with the time to midnight UTC', async () => {
    for (const text of ['one', 'two']) {
      expect((await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', USER_KEY).send(conversation(text))).status).toBe(202);
    }
    const third = await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', USER_KEY).send(conversation('three'));
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      message: expect.stringMatching(/2 conversations per user per day/),
      details: { limit: 'llm_daily_conversations', limit_per_day: 2, retry_after_seconds: expect.any(Number) },
    });
    expect(third.body.error.details.retry_after_seconds).toBeLessThanOrEqual(86_400);

    const batch = await request(stack.app)
      .post('/v1/memories/batch')
      .set('X-API-Key', SERVICE_KEY)
      .send({ conversations: [1, 2, 3].map((i) => ({ ...conversation(`bob ${i}`), user_id: 'bob' })) });
    expect(batch.body.accepted).toBe(2);
    expect(batch.body.rejected).toEqual([{ index: 2, error: expect.objectContaining({ code: 'RATE_LIMIT_EXCEEDED', details: expect.objectContaining({ limit: 'llm_daily_conversations' }) }) }]);
  });
});
