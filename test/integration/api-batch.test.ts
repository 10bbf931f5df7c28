import request from 'supertest';
import { startStack, SERVICE_KEY, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

const conversation = (text: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: text }],
  agent_id: 'importer',
  thread_id: `thread-${text.length}-${text.charCodeAt(3)}`,
  source: 'import',
  ...extra,
});

describe('POST /v1/memories/batch', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_BATCH_MAX_ITEMS: '10', MNEMO_BACKPRESSURE_MAX_WAITING: '6', MNEMO_BACKPRESSURE_RETRY_AFTER_S: '7' });
  });
  afterAll(() => stack.close());

  const batch = (conversations: unknown, key = SERVICE_KEY) =>
    request(stack.app).post('/v1/memories/batch').set('X-API-Key', key).send({ conversations } as object);
  const waiting = () => stack.ingest.waitingCount();

  it('enqueues the valid items and reports exactly the invalid ones with field-level reasons', async () => {
    const res = await batch([
      conversation('I speak Portuguese.', { user_id: 'importer-1' }),
      { ...conversation('No agent here.'), agent_id: undefined },
      conversation('I play padel.', { user_id: 'importer-1', idempotency_key: 'src-42' }),
      { ...conversation('x'), messages: [] },
      { ...conversation('Bad role.'), messages: [{ role: 'robot', content: 'beep' }] },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ success: true, accepted: 2, duplicates: 0 });
    expect(res.body.rejected).toEqual([
      { index: 1, error: { code: 'VALIDATION_ERROR', message: 'agent_id: Invalid input: expected string, received undefined', details: [{ field: 'agent_id', message: expect.any(String) }] } },
      { index: 3, error: { code: 'VALIDATION_ERROR', message: 'messages: must contain at least one message', details: [{ field: 'messages', message: 'must contain at least one message' }] } },
      { index: 4, error: expect.objectContaining({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'messages[0].role' })] }) },
    ]);
    expect(res.body.jobs.map((j: { index: number }) => j.index)).toEqual([0, 2]);
    expect(res.body.jobs[1].job_id).toMatch(/^ik-/);
    expect(await waiting()).toBe(2);

    // The same items again: accepted, known, not enqueued twice.
    const again = await batch([conversation('I speak Portuguese.', { user_id: 'importer-1' }), conversation('I play padel.', { user_id: 'importer-1', idempotency_key: 'src-42' })]);
    expect(again.body).toMatchObject({ accepted: 2, duplicates: 2, rejected: [] });
    expect(again.body.jobs.map((j: { job_id: string }) => j.job_id)).toEqual(res.body.jobs.map((j: { job_id: string }) => j.job_id));
    expect(await waiting()).toBe(2);
    const job = await stack.ingest.queue.getJob(res.body.jobs[0].job_id);
    expect(job!.opts.priority).toBe(10);
  });

  it("refuses, item by item, a user key acting for someone else", async () => {
    const res = await batch([conversation('I am alice.'), conversation('I am not alice.', { user_id: 'mallory' })], USER_KEY);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ index: 1, error: { code: 'FORBIDDEN', message: expect.stringMatching(/only act for its own user/) } }]);
  });

  it('refuses a malformed envelope as a whole', async () => {
    expect((await batch([])).body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/at least one conversation/) });
    expect((await batch(Array.from({ length: 11 }, (_, i) => conversation(`fact ${i}`)))).body.error.message).toMatch(/at most 10 conversations/);
    expect((await batch('nope')).status).toBe(400);
    const text = await request(stack.app).post('/v1/memories/batch').set('X-API-Key', SERVICE_KEY).type('text').send('hello');
    expect(text.status).toBe(415);
  });

  it('answers batches 503 with Retry-After while the queue is over its bound, never live requests, and accepts again once it drains', async () => {
    await batch(Array.from({ length: 5 }, (_, i) => conversation(`Backlog fact number ${i}.`, { user_id: 'importer-2' })));
    expect(await waiting()).toBeGreaterThan(6);
    const refused = await batch([conversation('One more.', { user_id: 'importer-2' })]);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { max_waiting: 6, retry_after_seconds: 7 } });

    const live = await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', USER_KEY).send(conversation('I am live traffic.'));
    expect(live.status).toBe(202);

    // A worker drains the queue; live work first, imported work after.
    await stack.startWorker();
    for (let i = 0; i < 200 && (await waiting()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await batch([conversation('Accepted again.', { user_id: 'importer-2' })])).status).toBe(202);

    const liveJob = await stack.ingest.queue.getJob(live.body.job_id);
    const imported = await stack.ingest.queue.getJobs(['completed', 'active', 'waiting', 'prioritized'], 0, -1);
    const importedStarts = imported.filter((j) => j.opts.priority === 10 && j.processedOn).map((j) => j.processedOn!);
    expect(liveJob!.processedOn).toBeLessThanOrEqual(Math.min(...importedStarts));
  });

  it('reports many jobs at once, and another user\'s as not found', async () => {
    const res = await batch([conversation('Status check one.', { user_id: 'importer-3' })]);
    const jobId = res.body.jobs[0].job_id;
    for (let i = 0; i < 100 && (await stack.ingest.queue.getJobState(jobId)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    const status = await request(stack.app).post('/v1/jobs/status').set('X-API-Key', SERVICE_KEY).send({ job_ids: [jobId, 'no-such-job'], user_id: 'importer-3' });
    expect(status.body.jobs).toEqual([
      { job_id: jobId, status: 'completed', memories_created: expect.any(Number), error: null },
      { job_id: 'no-such-job', status: 'not_found' },
    ]);
    const other = await request(stack.app).post('/v1/jobs/status').set('X-API-Key', USER_KEY).send({ job_ids: [jobId] });
    expect(other.body.jobs).toEqual([{ job_id: jobId, status: 'not_found' }]);
    expect((await request(stack.app).post('/v1/jobs/status').set('X-API-Key', USER_KEY).send({ job_ids: [] })).status).toBe(400);
  });
});
