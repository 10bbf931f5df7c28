import { Queue } from 'bullmq';
import request from 'supertest';
import { memoryId } from '@mnemo/core';
import { createRedis, waitForRedis, WEBHOOK_QUEUE } from '@mnemo/queue';
import { eventually } from '../support/eventually';
import { MEMSYNC_EXAMPLE, OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

/** Issue 13: deleting a memory left its full text in /history, and a user could not be erased at all. */
describe('erasure', () => {
  let stack: Stack;
  let webhooks: Queue;
  let connection: ReturnType<typeof createRedis>;

  beforeAll(async () => {
    stack = await startStack({ MNEMO_PROFILE_DEBOUNCE_MS: '50' });
    await stack.startWorker();
    connection = createRedis(stack.config.REDIS_URL, 'command', 'test-erasure');
    await waitForRedis(connection, stack.config.REDIS_URL, 5_000);
    webhooks = new Queue(WEBHOOK_QUEUE.name, { connection, prefix: stack.config.MNEMO_QUEUE_PREFIX });
  });
  afterAll(async () => {
    await webhooks.close();
    connection.disconnect();
    await stack.close();
  });

  const api = () => request(stack.app);
  const remember = async (key: string, thread: string) => {
    const res = await api().post('/v1/memories').set('X-API-Key', key).send({ ...MEMSYNC_EXAMPLE, thread_id: thread });
    expect(res.status).toBe(200);
    return res.body as { job_id: string; memories: { id: string; memory: string }[] };
  };
  /** A delivery about the user, as the worker queues one; its receiver is never reached in this test. */
  const delivery = (userId: string) =>
    webhooks.add(
      WEBHOOK_QUEUE.jobName,
      { key_id: 'k', webhook_id: 'wh', delivery_id: `d-${userId}`, event: 'memory.created', body: { id: `d-${userId}`, event: 'memory.created', data: { user_id: userId, memories: [{ memory: 'User lives in Porto' }] } } },
      { delay: 3_600_000 },
    );

  it("DELETE /v1/users/me erases every memory, history entry, profile, job payload and webhook delivery of the user, and nobody else's", async () => {
    const alice = await remember(USER_KEY, 'erase-alice');
    const bob = await remember(OTHER_KEY, 'erase-bob');
    const aliceMemory = alice.memories[0]!.id;
    // A deleted memory of hers: its history holds the text too.
    expect((await api().delete(`/v1/memories/${alice.memories[1]!.id}`).set('X-API-Key', USER_KEY)).status).toBe(200);
    await eventually(async () => expect(await stack.profileCache.get('alice')).not.toBeNull());
    const aliceDelivery = await delivery('alice');
    const bobDelivery = await delivery('bob');

    const res = await api().delete('/v1/users/me').set('X-API-Key', USER_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, user_id: 'alice', erased: { memories: 2, ingest_jobs: 1, webhook_deliveries: 1, profile: true }, running_jobs: [] });

    expect(await stack.store.count('alice')).toBe(0);
    expect((await api().get(`/v1/memories/${aliceMemory}/history`).set('X-API-Key', USER_KEY)).status).toBe(404);
    expect((await api().get(`/v1/memories/${alice.memories[1]!.id}/history`).set('X-API-Key', USER_KEY)).status).toBe(404);
    expect(await stack.profileCache.get('alice')).toBeNull();
    expect(await stack.ingest.queue.getJob(alice.job_id)).toBeUndefined();
    expect(await webhooks.getJob(aliceDelivery.id!)).toBeUndefined();
    // Bob is untouched.
    expect(await stack.store.count('bob')).toBe(bob.memories.length);
    expect(await stack.ingest.queue.getJob(bob.job_id)).toBeDefined();
    expect(await webhooks.getJob(bobDelivery.id!)).toBeDefined();
    // After erasure the same conversation is new evidence: it is stored again.
    expect((await remember(USER_KEY, 'erase-alice')).memories.length).toBe(alice.memories.length);
  });

  it('lets a service key erase a user by ?user_id=, and refuses a user key that asks for another user', async () => {
    expect((await api().delete('/v1/users/me?user_id=bob').set('X-API-Key', USER_KEY)).status).toBe(403);
    expect(await stack.store.count('bob')).toBeGreaterThan(0);
    const res = await api().delete('/v1/users/me?user_id=bob').set('X-API-Key', SERVICE_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, user_id: 'bob' });
    expect(await stack.store.count('bob')).toBe(0);
  });

  it("DELETE /v1/memories/:id?erase=true deletes the memory and scrubs its texts from the history; a plain delete keeps them", async () => {
    const posted = await request(stack.app).post('/v1/memories').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'carol' });
    expect(posted.body).toMatchObject({ memories: expect.any(Array) });
    const { memories } = posted.body;
    const [erased, kept] = memories as { id: string; memory: string }[];
    const history = (id: string) => api().get(`/v1/memories/${id}/history?user_id=carol`).set('X-API-Key', SERVICE_KEY);

    expect((await api().delete(`/v1/memories/${kept!.id}?user_id=carol`).set('X-API-Key', SERVICE_KEY)).status).toBe(200);
    expect(JSON.stringify((await history(kept!.id)).body)).toContain(kept!.memory);

    const res = await api().delete(`/v1/memories/${erased!.id}?user_id=carol&erase=true`).set('X-API-Key', SERVICE_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, deleted_id: erased!.id, history_scrubbed: 2 });
    const events = (await history(erased!.id)).body.events as { event: string; before: unknown; after: unknown }[];
    expect(events.map((e) => [e.event, e.before, e.after])).toEqual([
      ['created', null, null],
      ['deleted', null, null],
    ]);
    // A memory deleted earlier can be scrubbed afterwards; one that never existed is 404.
    expect((await api().delete(`/v1/memories/${kept!.id}?user_id=carol&erase=true`).set('X-API-Key', SERVICE_KEY)).body).toMatchObject({ history_scrubbed: 2 });
    expect(JSON.stringify((await history(kept!.id)).body)).not.toContain(kept!.memory);
    const missing = await api().delete(`/v1/memories/${memoryId('carol', 'never said')}?user_id=carol&erase=true`).set('X-API-Key', SERVICE_KEY);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', error: { code: 'NOT_FOUND' } });
  });
});
