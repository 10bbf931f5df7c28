import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig, MnemoError } from '@mnemo/core';
import { createRedis, IngestQueue, waitForRedis } from '@mnemo/queue';
import { stagesFailingAt } from '../support/faulty-stages';
import { TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

const MARKER = 'Zanzibar7731';
const conversation = (thread: string) => ({
  messages: [{ role: 'user', content: `I grew up in ${MARKER} and I still dream about it.` }],
  agent_id: 'a',
  thread_id: thread,
  source: 'chat',
});

/** Every key and value under the prefix, as Redis holds them. */
async function dump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const parts: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(key, JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') parts.push(key, (await redis.get(key)) ?? '');
      else if (type === 'list') parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'zset' || type === 'set') parts.push(key);
      else if (type === 'stream') parts.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe('data at rest in Redis', () => {
  const keyA = randomBytes(32).toString('base64');
  const keyB = randomBytes(32).toString('hex');
  const prefix = uniquePrefix('rest');
  let stack: Stack;
  let broken = false;

  afterEach(async () => {
    await stack?.close();
  });

  const failingStore = stagesFailingAt('store', () => (broken ? new MnemoError('PROCESSING_ERROR', 'store down') : null));

  it('seals conversation text and checkpoints with AES-256-GCM, and drops text from completed jobs', async () => {
    stack = await startStack({ MNEMO_QUEUE_PREFIX: prefix, MNEMO_PAYLOAD_KEY: keyA, MNEMO_JOB_ATTEMPTS: '1' });
    const queued = await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', USER_KEY).send(conversation('sealed-1'));
    expect(queued.status).toBe(202);
    const waiting = await dump(prefix);
    expect(waiting).toContain('mnemo-aes256gcm:v1:');
    expect(waiting).not.toContain(MARKER);

    await stack.startWorker(failingStore);
    for (let i = 0; i < 100 && (await stack.ingest.queue.getJobState(queued.body.job_id)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    // The API opens the sealed result for its owner.
    const view = await request(stack.app).get(`/v1/jobs/${queued.body.job_id}`).set('X-API-Key', USER_KEY);
    expect(view.body.result.memories[0].memory).toContain(MARKER);
    expect(view.body.result.memories_sealed).toBeUndefined();

    // A job that fails after extraction keeps its checkpoint (turns and facts): sealed too.
    broken = true;
    const failed = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(conversation('sealed-2'));
    broken = false;
    expect(failed.status).toBe(500);

    const after = await dump(prefix);
    expect(after).not.toContain(MARKER);
    // The memory itself is in the store, readable by its owner.
    const list = await request(stack.app).get('/v1/memories').set('X-API-Key', USER_KEY);
    expect(list.body.data.map((m: { memory: string }) => m.memory).join(' ')).toContain(MARKER);
    // API keys are stored as hashes only.
    expect(after).not.toContain(USER_KEY);
  });

  it('opens payloads sealed with a rotated-out key, and refuses to guess without one', async () => {
    const rotated = `${prefix}-rot`;
    // A producer that still seals with the old key (an API process not yet restarted).
    const redis = createRedis(TEST_REDIS_URL, 'command', 'test-old-api');
    const events = createRedis(TEST_REDIS_URL, 'blocking', 'test-old-api-events');
    const oldApi = new IngestQueue(loadConfig({ MNEMO_QUEUE_PREFIX: rotated, MNEMO_PAYLOAD_KEY: keyA }), redis, events);
    try {
      await waitForRedis(redis, TEST_REDIS_URL, 2_000);
      const first = await oldApi.enqueue('alice', conversation('rotated'));
      stack = await startStack({ MNEMO_QUEUE_PREFIX: rotated, MNEMO_PAYLOAD_KEY: keyB, MNEMO_PAYLOAD_OLD_KEYS: keyA });
      await stack.startWorker();
      for (let i = 0; i < 100 && (await stack.ingest.queue.getJobState(first.id!)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await stack.ingest.queue.getJobState(first.id!)).toBe('completed');
      await stack.close();

      // A worker with no key fails such a job with a reason, instead of storing garbage.
      const second = await oldApi.enqueue('alice', conversation('no-key'));
      stack = await startStack({ MNEMO_QUEUE_PREFIX: rotated });
      await stack.startWorker();
      for (let i = 0; i < 100 && (await stack.ingest.queue.getJobState(second.id!)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
      const job = await stack.ingest.queue.getJob(second.id!);
      expect(job!.failedReason).toMatch(/encrypted but MNEMO_PAYLOAD_KEY is not set/);
    } finally {
      await oldApi.close();
      redis.disconnect();
      events.disconnect();
    }
  });

  it('without a key, completed jobs still keep no conversation text', async () => {
    stack = await startStack({ MNEMO_QUEUE_PREFIX: `${prefix}-plain` });
    await stack.startWorker();
    const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(conversation('plain'));
    expect(stored.status).toBe(200);
    const job = await stack.ingest.queue.getJob(stored.body.job_id);
    expect(job!.data.conversation.messages).toEqual([{ role: 'user', content: '[dropped]' }]);
    expect(job!.data.checkpoint).toBeUndefined();
    // What remains in Redis is the result (the memories drawn, for the client), not what was said.
    const held = await dump(`${prefix}-plain`);
    expect(held).not.toContain('I grew up');
    expect(held).not.toContain('dream about it');
  });
});
