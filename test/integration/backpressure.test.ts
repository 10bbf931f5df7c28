import request from 'supertest';
import { SERVICE_KEY, startStack, type Stack } from '../support/stack';

const conversation = (user: string, text: string) => ({ messages: [{ role: 'user', content: text }], agent_id: 'importer', thread_id: text.slice(0, 40), source: 'import', user_id: user });
const batch = (stack: Stack, conversations: unknown[]) => request(stack.app).post('/v1/memories/batch').set('X-API-Key', SERVICE_KEY).send({ conversations });

// Issue 13, Medium 9: with the queue over its bound because of alice's batches, bob's first 1-item batch got 503.
describe('batch backpressure is fair per user', () => {
  let stack: Stack;
  beforeAll(async () => {
    // No worker: whatever is accepted stays waiting.
    stack = await startStack({ MNEMO_BACKPRESSURE_MAX_WAITING: '4', MNEMO_BACKPRESSURE_RETRY_AFTER_S: '3' });
  });
  afterAll(() => stack.close());

  it('refuses the user over their share and takes the user under it', async () => {
    const alice = await batch(stack, Array.from({ length: 5 }, (_, i) => conversation('alice-import', `Alice backlog fact ${i}.`)));
    expect(alice.status).toBe(202);
    expect(await stack.ingest.waitingCount()).toBe(5);

    const bob = await batch(stack, [conversation('bob-import', 'Bob first fact.')]);
    expect(bob.status).toBe(202);
    expect(bob.body.accepted).toBe(1);

    const aliceAgain = await batch(stack, [conversation('alice-import', 'Alice one more.')]);
    expect(aliceAgain.status).toBe(503);
    expect(aliceAgain.headers['retry-after']).toBe('3');
    expect(aliceAgain.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'over_share', waiting: 6, max_waiting: 4 } });
  });
});

// Issue 13, High 3: backpressure counted jobs only; 12 × 2 MB went in at once.
describe('batch backpressure counts bytes, not only jobs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_BACKPRESSURE_MAX_WAITING: '1000', MNEMO_BACKPRESSURE_MAX_BYTES: '65536' });
  });
  afterAll(() => stack.close());

  it('refuses a user whose few waiting jobs are over the byte bound', async () => {
    const big = (i: number) => conversation('carol-import', `Carol fact ${i}. ${'padding '.repeat(5_000)}`);
    const first = await batch(stack, [big(1), big(2)]);
    expect(first.status).toBe(202);
    expect(first.body.accepted).toBe(2);

    const refused = await batch(stack, [conversation('carol-import', 'Carol small fact.')]);
    expect(refused.status).toBe(503);
    expect(refused.body.error.details).toMatchObject({ waiting: 2, max_waiting_bytes: 65_536, waiting_bytes: expect.any(Number) });
    expect(refused.body.error.details.waiting_bytes).toBeGreaterThan(65_536);

    expect((await batch(stack, [conversation('dave-import', 'Dave small fact.')])).status).toBe(202);
  });

  it('stops counting a job once a worker starts it', async () => {
    const worker = await stack.startWorker();
    try {
      const jobs = await stack.ingest.queue.getJobs(['waiting', 'prioritized']);
      await Promise.all(jobs.map((job) => stack.ingest.waitFor(job, 30_000)));
      const backlog = await stack.ingest.backlogOf('carol-import');
      expect(backlog).toEqual({ jobs: 0, bytes: 0, userJobs: 0, userBytes: 0, users: 0 });
      expect((await batch(stack, [conversation('carol-import', 'Carol accepted again.')])).status).toBe(202);
    } finally {
      await worker.close();
    }
  });
});
