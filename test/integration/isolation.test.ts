import request from 'supertest';
import { ADMIN_KEY, OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

/**
 * OWASP API1/API3: no endpoint lets one user read, change or learn about
 * another's memories, jobs, profile or webhooks. alice owns the data; bob
 * tries everything; a service key may act for alice by naming her.
 */
describe('isolation between users, endpoint by endpoint', () => {
  let stack: Stack;
  let memoryId: string;
  let jobId: string;
  let webhookId: string;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_WEBHOOK_ALLOW_PRIVATE: 'true' });
    await stack.startWorker();
    const stored = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', USER_KEY)
      .send({ messages: [{ role: 'user', content: 'My bank PIN hint is the name of my first cat, Whiskers.' }], agent_id: 'a', thread_id: 'secret', source: 'chat' });
    expect(stored.status).toBe(200);
    memoryId = stored.body.memories[0].id;
    jobId = stored.body.job_id;
    webhookId = (await request(stack.app).post('/v1/webhooks').set('X-API-Key', USER_KEY).send({ url: 'http://127.0.0.1:9/hook' })).body.id;
  });
  afterAll(() => stack.close());

  const as = (key: string) => ({
    get: (path: string) => request(stack.app).get(path).set('X-API-Key', key),
    post: (path: string, body: object) => request(stack.app).post(path).set('X-API-Key', key).send(body),
    patch: (path: string, body: object) => request(stack.app).patch(path).set('X-API-Key', key).send(body),
    delete: (path: string) => request(stack.app).delete(path).set('X-API-Key', key),
  });
  const bob = as(OTHER_KEY);
  const mentionsAlice = (res: { text: string }) => /Whiskers|secret/.test(res.text);

  it.each([
    ['get one memory', () => bob.get(`/v1/memories/${memoryId}`)],
    ['correct it', () => bob.patch(`/v1/memories/${memoryId}`, { memory: 'User was hacked' })],
    ['delete it', () => bob.delete(`/v1/memories/${memoryId}`)],
    ['read its history', () => bob.get(`/v1/memories/${memoryId}/history`)],
    ['read the job', () => bob.get(`/v1/jobs/${jobId}`)],
    ['delete a webhook', () => bob.delete(`/v1/webhooks/${webhookId}`)],
  ])('bob cannot %s: 404, as if it did not exist', async (_what, call) => {
    const res = await call();
    expect(res.status).toBe(404);
    expect(mentionsAlice(res)).toBe(false);
  });

  it.each([
    ['list memories', () => bob.get('/v1/memories')],
    ['search', () => bob.post('/v1/memories/search', { query: 'Whiskers cat PIN' })],
    ['read his profile', () => bob.get('/v1/users/profile')],
    ['see categories counts', () => bob.get('/v1/categories')],
    ['list webhooks', () => bob.get('/v1/webhooks')],
    ['ask job status', () => bob.post('/v1/jobs/status', { job_ids: [jobId] })],
    ['batch-delete', () => bob.post('/v1/memories/batch-delete', { memory_ids: [memoryId] })],
  ])('bob can %s, and sees nothing of alice', async (_what, call) => {
    const res = await call();
    expect(res.status).toBe(200);
    expect(mentionsAlice(res)).toBe(false);
  });

  // Only a service key acts for others: admin is an operator role (issue 13, item 5).
  const actingForAlice = (key: string): [string, string, () => request.Test][] => {
    const who = as(key);
    const name = key === ADMIN_KEY ? 'an admin key' : 'a user key';
    return [
      [name, 'store for her', () => who.post('/v1/memories', { messages: [{ role: 'user', content: 'x' }], agent_id: 'a', thread_id: 't', source: 's', user_id: 'alice' })],
      [name, 'search her memories', () => who.post('/v1/memories/search', { query: 'cat', user_id: 'alice' })],
      [name, 'list her memories', () => who.get('/v1/memories?user_id=alice')],
      [name, 'read her memory', () => who.get(`/v1/memories/${memoryId}?user_id=alice`)],
      [name, 'read her profile', () => who.get('/v1/users/profile?user_id=alice')],
      [name, 'read her job', () => who.get(`/v1/jobs/${jobId}?user_id=alice`)],
      [name, 'ask her jobs', () => who.post('/v1/jobs/status', { job_ids: [jobId], user_id: 'alice' })],
      [name, 'delete her memories', () => who.post('/v1/memories/batch-delete', { memory_ids: [memoryId], user_id: 'alice' })],
    ];
  };
  it.each([...actingForAlice(OTHER_KEY), ...actingForAlice(ADMIN_KEY)])('%s naming alice cannot %s: 403', async (_who, _what, call) => {
    const res = await call();
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(mentionsAlice(res)).toBe(false);
  });

  /** One MCP tool call as JSON-RPC over POST /mcp (stateless: no session to open first). */
  const mcp = (key: string, name: string, args: Record<string, unknown>) =>
    request(stack.app)
      .post('/mcp')
      .set('Authorization', `Bearer ${key}`)
      .set('Accept', 'application/json, text/event-stream')
      .send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

  it.each([
    ['get_memory', () => ({ memory_id: memoryId })],
    ['update_memory', () => ({ memory_id: memoryId, memory: 'User was hacked' })],
    ['delete_memory', () => ({ memory_id: memoryId })],
    ['get_job', () => ({ job_id: jobId })],
  ])('over MCP, bob cannot %s: a NOT_FOUND tool error', async (tool, args) => {
    const res = await mcp(OTHER_KEY, tool, args());
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'NOT_FOUND' } } });
    expect(mentionsAlice(res)).toBe(false);
  });

  it.each([
    ['search_memories', { query: 'Whiskers cat PIN' }],
    ['list_memories', {}],
    ['get_profile', {}],
  ])('over MCP, bob can call %s and sees nothing of alice', async (tool, args) => {
    const res = await mcp(OTHER_KEY, tool, args);
    expect(res.body.result.isError).toBeFalsy();
    expect(mentionsAlice(res)).toBe(false);
  });

  it('over MCP, a user key naming alice is refused (FORBIDDEN); without a key, 401', async () => {
    expect((await mcp(OTHER_KEY, 'search_memories', { query: 'cat', user_id: 'alice' })).body.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'FORBIDDEN' } } });
    expect((await request(stack.app).post('/mcp').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(401);
    // The service key acting for alice does see her memory: the refusals above are isolation, not breakage.
    expect(mentionsAlice(await mcp(SERVICE_KEY, 'search_memories', { query: 'Whiskers cat', user_id: 'alice' }))).toBe(true);
  });

  it('a user key cannot open the dashboard or its API', async () => {
    for (const path of ['/admin/api/overview', '/admin/api/jobs/failed', '/admin/queues/api/queues']) {
      expect((await bob.get(path)).status).toBe(403);
    }
  });

  it('after all that, alice still has her memory, unchanged, with no one else in its history', async () => {
    const mine = await as(USER_KEY).get(`/v1/memories/${memoryId}`);
    expect(mine.body.memory).toMatch(/Whiskers/);
    const history = await as(USER_KEY).get(`/v1/memories/${memoryId}/history`);
    expect(history.body.events.map((e: { event: string }) => e.event)).toEqual(['created']);
    // A service key acts for alice only when it names her.
    expect((await as(SERVICE_KEY).get(`/v1/memories/${memoryId}?user_id=alice`)).status).toBe(200);
    expect((await as(SERVICE_KEY).get(`/v1/memories/${memoryId}`)).status).toBe(404);
  });
});
