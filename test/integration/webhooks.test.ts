import type http from 'node:http';
import request from 'supertest';
import { MnemoError } from '@mnemo/core';
import { stagesFailingAt } from '../support/faulty-stages';
import { verifyWebhookSignature, WEBHOOK_QUEUE } from '@mnemo/queue';
import { Queue } from 'bullmq';
import { LoopbackServer, type LoopbackReply } from '../support/loopback-server';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { eventually } from '../support/eventually';
import { testRedis } from '../support/redis';
import { ADMIN_KEY, OTHER_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
}

/** A webhook receiver on loopback that answers from a script, then 200. */
class Receiver extends LoopbackServer {
  readonly received: Received[] = [];
  readonly script: LoopbackReply[] = [];
  protected reply(req: http.IncomingMessage, url: URL, body: any, raw: string): LoopbackReply {
    this.received.push({ path: url.pathname, headers: req.headers, raw, body });
    return this.script.shift() ?? { status: 200, body: { ok: true } };
  }
}

const conversation = (content: string) => ({ messages: [{ role: 'user', content }], agent_id: 'a', thread_id: content, source: 'chat' });

describe('webhook registration', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com,127.0.0.1' });
  });
  afterAll(() => stack.close());
  const register = (body: unknown, key = USER_KEY) => request(stack.app).post('/v1/webhooks').set('X-API-Key', key).send(body as object);

  it('accepts only http(s) URLs on the allow-list that resolve to public addresses', async () => {
    for (const [url, message] of [
      ['ftp://hooks.example.com/x', /must be http or https/],
      ['not a url', /is not a URL/],
      ['https://user:pw@hooks.example.com/x', /must not carry credentials/],
      ['https://elsewhere.example.org/x', /not on MNEMO_WEBHOOK_ALLOWED_HOSTS/],
      ['http://127.0.0.1:9/x', /resolves to a loopback address/],
    ] as const) {
      const res = await register({ url });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    }
    expect((await register({ url: 'https://hooks.example.com/x', events: ['job.exploded'] })).status).toBe(400);
  });
});

describe('webhook deliveries', () => {
  const receiver = new Receiver();
  let stack: Stack;
  let broken = false;
  let deliveries: Queue;
  beforeAll(async () => {
    await receiver.start();
    stack = await startStack({ MNEMO_WEBHOOK_ALLOW_PRIVATE: 'true', MNEMO_WEBHOOK_BACKOFF_MS: '20', MNEMO_WEBHOOK_ATTEMPTS: '3', MNEMO_JOB_ATTEMPTS: '1' });
    await stack.startWorker(stagesFailingAt('embed', () => (broken ? new MnemoError('PROCESSING_ERROR', 'embedder down') : null)));
    deliveries = stack.jobs.queues.get(WEBHOOK_QUEUE.name)!;
  });
  afterAll(async () => {
    await stack.close();
    await receiver.stop();
  });

  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
  };

  it('registers, lists without the secret, and deletes, per API key', async () => {
    const created = await request(stack.app).post('/v1/webhooks').set('X-API-Key', USER_KEY).send({ url: `${receiver.url}/temp` });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^wh_/), events: ['job.completed', 'job.failed'], secret: expect.stringMatching(/^whsec_/) });
    const listed = await request(stack.app).get('/v1/webhooks').set('X-API-Key', USER_KEY);
    expect(listed.body.webhooks).toEqual([{ id: created.body.id, url: `${receiver.url}/temp`, events: ['job.completed', 'job.failed'], created_at: expect.any(String) }]);
    expect((await request(stack.app).get('/v1/webhooks').set('X-API-Key', OTHER_KEY)).body.webhooks).toEqual([]);
    expect((await request(stack.app).delete(`/v1/webhooks/${created.body.id}`).set('X-API-Key', OTHER_KEY)).status).toBe(404);
    expect((await request(stack.app).delete(`/v1/webhooks/${created.body.id}`).set('X-API-Key', USER_KEY)).status).toBe(200);
    expect((await request(stack.app).get('/v1/webhooks').set('X-API-Key', USER_KEY)).body.webhooks).toEqual([]);
  });

  it('signs deliveries, retries after a receiver failure, and logs every attempt', async () => {
    const hook = (await request(stack.app).post('/v1/webhooks').set('X-API-Key', USER_KEY).send({ url: `${receiver.url}/hooks`, events: ['job.completed', 'job.failed', 'memory.created'] })).body;
    receiver.received.length = 0;
    receiver.script.push({ status: 500, body: { error: 'receiver down' } });

    const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(conversation('I restore old motorbikes.'));
    expect(stored.status).toBe(200);
    await until(() => receiver.received.filter((r) => r.headers['x-mnemo-event'] === 'job.completed').length >= 2 && receiver.received.some((r) => r.headers['x-mnemo-event'] === 'memory.created'), 'deliveries');

    const completed = receiver.received.filter((r) => r.headers['x-mnemo-event'] === 'job.completed');
    expect(completed).toHaveLength(2); // refused once, delivered on the retry
    for (const r of receiver.received) {
      expect(r.path).toBe('/hooks');
      expect(verifyWebhookSignature(hook.secret, String(r.headers['x-mnemo-signature']), r.raw)).toBe(true);
      expect(verifyWebhookSignature('whsec_wrong', String(r.headers['x-mnemo-signature']), r.raw)).toBe(false);
    }
    expect(completed[1]!.body).toMatchObject({
      id: completed[0]!.body.id,
      event: 'job.completed',
      data: { job_id: stored.body.job_id, user_id: 'alice', status: 'completed', memories_created: 1 },
    });
    const created = receiver.received.find((r) => r.headers['x-mnemo-event'] === 'memory.created')!;
    expect(created.body.data.memories).toEqual([expect.objectContaining({ memory: 'User restores old motorbikes' })]);

    const deliveryId = completed[0]!.body.id as string;
    for (let i = 0; i < 40 && (await deliveries.getJobState(deliveryId)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 25));
    const { logs } = await deliveries.getJobLogs(deliveryId);
    expect(logs).toEqual([expect.stringMatching(/^attempt 1: HTTP 500 in \d+ ms$/), expect.stringMatching(/^attempt 2: HTTP 200 in \d+ ms$/)]);

    // A failed job is announced too.
    receiver.received.length = 0;
    broken = true;
    const failed = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(conversation('I fix clocks.'));
    broken = false;
    expect(failed.status).toBe(500);
    await until(() => receiver.received.some((r) => r.headers['x-mnemo-event'] === 'job.failed'), 'the job.failed delivery');
    expect(receiver.received.find((r) => r.headers['x-mnemo-event'] === 'job.failed')!.body.data).toMatchObject({
      job_id: failed.body.error.details.job_id,
      status: 'failed',
      error: { code: 'PROCESSING_ERROR', message: 'embed stage failed: embedder down' },
    });
    await request(stack.app).delete(`/v1/webhooks/${hook.id}`).set('X-API-Key', USER_KEY);
  });

  it('does not follow a redirect, and gives up after the attempts', async () => {
    const hook = (await request(stack.app).post('/v1/webhooks').set('X-API-Key', USER_KEY).send({ url: `${receiver.url}/moved` })).body;
    receiver.received.length = 0;
    for (let i = 0; i < 3; i++) receiver.script.push({ status: 302, headers: { location: `${receiver.url}/elsewhere` }, body: {} });
    const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(conversation('I brew cider.'));
    expect(stored.status).toBe(200);
    await until(() => receiver.received.length >= 3, 'three attempts');
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.map((r) => r.path)).toEqual(['/moved', '/moved', '/moved']);
    const [failedDelivery] = await deliveries.getFailed();
    expect(failedDelivery!.failedReason).toMatch(/receiver answered 302; redirects are not followed/);
    await request(stack.app).delete(`/v1/webhooks/${hook.id}`).set('X-API-Key', USER_KEY);
  });
});

/**
 * Issue 13, item 6: deliveries carry memory texts, so the webhook queue
 * follows the ingest queue's rules: sealed at rest with MNEMO_PAYLOAD_KEY,
 * redacted in Bull Board (with the original lengths), delivered in clear.
 */
describe.each([
  ['sealed with MNEMO_PAYLOAD_KEY', { MNEMO_PAYLOAD_KEY: randomBytes(32).toString('base64') }],
  ['without a payload key', {}],
])('webhook payloads at rest and on the dashboard, %s', (_label, env: Record<string, string>) => {
  const receiver = new Receiver();
  const MARKER = 'Quixadaburg';
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    await receiver.start();
    stack = await startStack({ ...env, MNEMO_WEBHOOK_ALLOW_PRIVATE: 'true' });
    await stack.startWorker();
    redis = testRedis('webhooks');
  });
  afterAll(async () => {
    redis.disconnect();
    await stack.close();
    await receiver.stop();
  });

  it('delivers memory texts in clear, keeps them sealed in Redis when a key is set, and never shows them in Bull Board', async () => {
    const hook = (await request(stack.app).post('/v1/webhooks').set('X-API-Key', USER_KEY).send({ url: `${receiver.url}/hooks`, events: ['memory.created'] })).body;
    const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send({ ...conversation(`I grew up in ${MARKER}.`), thread_id: 'at-rest' });
    expect(stored.status).toBe(200);
    const delivered = await eventually(() => {
      const found = receiver.received.find((r) => r.headers['x-mnemo-event'] === 'memory.created');
      if (!found) throw new Error('no memory.created delivery yet');
      return found;
    });
    const text = delivered.body.data.memories[0].memory as string;
    expect(text).toContain(MARKER);
    expect(verifyWebhookSignature(hook.secret, String(delivered.headers['x-mnemo-signature']), delivered.raw)).toBe(true);

    const deliveryId = delivered.body.id as string;
    const jobKey = `${stack.config.MNEMO_QUEUE_PREFIX}:${WEBHOOK_QUEUE.name}:${deliveryId}`;
    const atRest = JSON.stringify(await redis.hgetall(jobKey));
    if (env.MNEMO_PAYLOAD_KEY) {
      expect(atRest).not.toContain(MARKER);
      expect(atRest).toContain('mnemo-aes256gcm:v1:');
    }
    const board = (await request(stack.app).get(`/admin/queues/api/queues/webhooks/${deliveryId}`).set('X-API-Key', ADMIN_KEY)).body;
    expect(JSON.stringify(board)).not.toContain(MARKER);
    expect(JSON.stringify(board)).toContain(`[redacted: ${text.length} chars]`);
    expect(JSON.stringify(board)).toContain(deliveryId);

    // The ingest job's result in Bull Board: lengths of the real texts, and "dropped" for the conversation that is gone.
    const ingest = (await request(stack.app).get(`/admin/queues/api/queues/ingest/${stored.body.job_id}`).set('X-API-Key', ADMIN_KEY)).body;
    const shown = JSON.stringify(ingest);
    expect(shown).not.toContain(MARKER);
    expect(shown).toContain('[text dropped]');
    expect(shown).not.toContain('[redacted: 9 chars]');
    expect(shown).toContain(`[redacted: ${text.length} chars]`);
  });
});
