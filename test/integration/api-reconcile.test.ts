import request from 'supertest';
import { startStack, USER_KEY, type Stack } from '../support/stack';

/** Memories that stay true: chains of changes through the API, with history. */
describe('reconciliation through the API', () => {
  let stack: Stack;
  let thread = 0;
  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  const say = async (content: string, extra: Record<string, unknown> = {}) => {
    const res = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', USER_KEY)
      .send({ messages: [{ role: 'user', content }], agent_id: 'agent', thread_id: `thread-${thread++}`, source: 'chat', ...extra });
    expect(res.status).toBe(200);
    return res.body as Record<string, any>;
  };
  const list = async (query = '') => (await request(stack.app).get(`/v1/memories?page_size=100${query}`).set('X-API-Key', USER_KEY)).body.data as Record<string, any>[];
  const search = async (query: string, extra: Record<string, unknown> = {}) =>
    (await request(stack.app).post('/v1/memories/search').set('X-API-Key', USER_KEY).send({ query, limit: 20, ...extra })).body.memories as Record<string, any>[];
  const history = async (id: string) => (await request(stack.app).get(`/v1/memories/${id}/history`).set('X-API-Key', USER_KEY)).body;
  const find = (memories: Record<string, any>[], pattern: RegExp) => memories.find((m) => pattern.test(m.memory));

  it('moving city closes the old home and search shows the current one; include_superseded shows both', async () => {
    await say('I live in Paris.');
    const moved = await say('Big news: I moved to Berlin last month.');
    expect(moved).toMatchObject({ memories_created: 1, memories_superseded: 1, memories_merged: 0, memories_updated: 0 });

    const current = await list();
    expect(find(current, /Paris/)).toBeUndefined();
    const berlin = find(current, /Berlin/)!;
    const all = await list('&include_superseded=true');
    const paris = find(all, /Paris/)!;
    expect(paris).toMatchObject({ superseded_by: berlin.id, valid_until: expect.any(String) });

    expect((await search('where does the user live')).map((m) => m.memory)).not.toContain('User lives in Paris');
    const both = await search('where does the user live', { include_superseded: true });
    expect(find(both, /Paris/)).toMatchObject({ superseded_by: berlin.id });

    const events = await history(paris.id);
    expect(events.events.map((e: { event: string }) => e.event)).toEqual(['created', 'superseded']);
    expect(events.events[1]).toMatchObject({ job_id: moved.job_id, after: { superseded_by: berlin.id } });
  });

  it('a more specific job refines the employer memory, a promotion and a new employer close the old title', async () => {
    const works = await say('I work at Google.');
    const id = works.memories[0].id;
    const refined = await say('I am a software engineer at Google.');
    expect(refined).toMatchObject({ memories_created: 0, memories_updated: 1 });
    expect(find(await list(), /Google/)).toMatchObject({ id, memory: 'User is a software engineer at Google', mentions: 2 });

    const promoted = await say('I got promoted to senior software engineer at Google.');
    expect(promoted).toMatchObject({ memories_created: 1, memories_superseded: 1 });
    const afterPromotion = await list();
    expect(afterPromotion.map((m) => m.memory)).toContain('User got promoted to senior software engineer at Google');
    expect(afterPromotion.map((m) => m.id)).not.toContain(id);

    const chain = await history(id);
    expect(chain.events.map((e: { event: string }) => e.event)).toEqual(['created', 'updated', 'superseded']);
    expect(chain.events[1]).toMatchObject({
      job_id: refined.job_id,
      before: { memory: 'User works at Google' },
      after: { memory: 'User is a software engineer at Google' },
    });

    await say('I am a senior software engineer at Google.');
    const moved = await say('I work at Stripe now.');
    expect(moved).toMatchObject({ memories_created: 1, memories_superseded: 1 });
    const employers = (await list()).filter((m) => (m.attributes as string[]).includes('employer') && m.type === 'semantic');
    expect(employers.map((m) => m.memory)).toEqual(['User works at Stripe now']);
  });

  it('restating a fact merges it, with the new conversation in its provenance', async () => {
    const first = await say('I love hiking.');
    const again = await say('I really enjoy hiking.');
    expect(again).toMatchObject({ memories_created: 0, memories_merged: 1, duplicate: false });
    // The answer names the memory the merge touched, and what it did to it.
    expect(again.memories).toEqual([expect.objectContaining({ id: first.memories[0].id, action: 'merged', memory: 'User loves hiking' })]);
    const memory = find(await list(), /hiking/)!;
    expect(memory).toMatchObject({ id: first.memories[0].id, memory: 'User loves hiking', mentions: 2 });
    expect(memory.provenance.map((p: { job_id: string }) => p.job_id)).toEqual([first.job_id, again.job_id]);
  });

  it('a deleted memory stays deleted when its conversation is ingested again; a new conversation stating it brings it back', async () => {
    const body = { messages: [{ role: 'user', content: 'I collect vintage stamps.' }], agent_id: 'agent', thread_id: 'stamps-1', source: 'chat' };
    const first = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(body);
    const id = first.body.memories[0].id;
    await request(stack.app).delete(`/v1/memories/${id}`).set('X-API-Key', USER_KEY).expect(200);

    // The job record may be gone from Redis (retention), so the conversation runs again: it writes nothing.
    await stack.ingest.queue.remove(first.body.job_id);
    const again = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(body);
    expect(again.body).toMatchObject({ job_id: first.body.job_id, memories_created: 0, duplicate: true });
    expect(find(await list(), /stamps/)).toBeUndefined();
    expect((await history(id)).events.map((e: { event: string }) => e.event)).toEqual(['created', 'deleted']);

    const fresh = await say('I collect vintage stamps.');
    expect(fresh).toMatchObject({ memories_created: 1 });
    expect((await history(id)).events.map((e: { event: string }) => e.event)).toEqual(['created', 'deleted', 'created']);
  });

  it('a move closes where the user lived, not the wife stored in the same sentence', async () => {
    const first = await say('I live in Lisbon with my wife Ana.');
    expect(first.memories.map((m: { memory: string }) => m.memory).sort()).toEqual(['User lives in Lisbon', 'User lives with their wife Ana']);
    const moved = await say('I live in Paris now.');
    expect(moved).toMatchObject({ memories_superseded: 1 });
    const current = (await list()).map((m) => m.memory);
    expect(current).toContain('User lives with their wife Ana');
    expect(current).not.toContain('User lives in Lisbon');
  });

  it('dates memories of an imported conversation by when it took place', async () => {
    const old = await say('I started learning the cello.', { metadata: { timestamp: '2023-03-04T10:00:00Z' } });
    const memory = find(await list(), /cello/)!;
    expect(memory).toMatchObject({ id: old.memories[0].id, created_at: '2023-03-04T10:00:00.000Z', last_seen_at: '2023-03-04T10:00:00.000Z' });
    expect(memory.updated_at > '2024').toBe(true);
  });

  it('posting the same conversation again says it is a duplicate and counts nothing', async () => {
    const body = { messages: [{ role: 'user', content: 'I brew my own kombucha.' }], agent_id: 'agent', thread_id: 'kombucha', source: 'chat' };
    const first = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(body);
    expect(first.body).toMatchObject({ duplicate: false, memories_created: 1, memories: [{ action: 'created' }] });
    const again = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ job_id: first.body.job_id, duplicate: true, memories_created: 0, memories_merged: 0, memories: [] });
    expect((await list()).filter((m) => /kombucha/.test(m.memory))).toHaveLength(1);
  });

  it('lists superseded and updated memories in the answer, with their actions', async () => {
    await say('I live in Ghent.');
    const moved = await say('I live in Leuven now.');
    expect(moved.memories.map((m: { action: string }) => m.action).sort()).toEqual(['created', 'superseded']);
    expect(moved.memories.find((m: { action: string }) => m.action === 'superseded').memory).toMatch(/Ghent/);
  });

  it('refuses a malformed include_superseded', async () => {
    const res = await request(stack.app).get('/v1/memories?include_superseded=maybe').set('X-API-Key', USER_KEY);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    const search = await request(stack.app).post('/v1/memories/search').set('X-API-Key', USER_KEY).send({ query: 'x', include_superseded: 'yes' });
    expect(search.status).toBe(400);
  });
});
