import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { KEY_FAMILIES, keyPart, type KeyFamily } from '@mnemo/core';
import { LlmBatchQueue, LlmUsageTotals, PipelineStats, QUEUE_NAMES, RedisUserLease, WebhookRepository } from '@mnemo/queue';
import { AdminSessions } from '../../apps/api/src/admin/admin-sessions';
import { LlmSpendGuard } from '../../apps/api/src/llm-spend-guard';
import { llmRequestLimiter } from '../../apps/worker/src/llm-request-limiter';
import { TEST_REDIS_URL } from '../support/redis';
import { SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(30_000);

/** User ids that are also names BullMQ gives its own keys (job 1, :meta, :events, …), and ids that try to add a segment. */
const HOSTILE_IDS = ['meta', 'events', 'id', '1', 'wait', 'stalled-check', 'de', 'marker', 'x:meta', '*', '%3A'];

/**
 * Issue 13, item 1: no user-chosen id is ever concatenated into a key space
 * BullMQ (or another feature) owns. Every family mnemo writes is exercised
 * with the ids above; BullMQ's keys keep their types and the queues keep
 * working, and every key mnemo wrote sits in its own family.
 */
describe('mnemo’s own Redis keys stay out of the queues’ key space', () => {
  let stack: Stack;
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    stack = await startStack();
    prefix = stack.config.MNEMO_QUEUE_PREFIX;
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    redis.disconnect();
    await stack.close();
  });

  const allKeys = async (): Promise<Map<string, string>> => {
    const keys = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of batch) keys.set(key, await redis.type(key));
    } while (cursor !== '0');
    return keys;
  };
  const queueOf = (key: string) => QUEUE_NAMES.find((name) => key.startsWith(`${prefix}:${name}:`));

  it('families are single segments, distinct, and never a queue name', () => {
    const families = Object.values(KEY_FAMILIES);
    expect(new Set(families).size).toBe(families.length);
    for (const family of families) {
      expect(family).toMatch(/^[a-z][a-z-]*$/);
      expect(QUEUE_NAMES as readonly string[]).not.toContain(family);
    }
    // A client id is one segment, and two ids never share a spelling.
    expect(HOSTILE_IDS.map(keyPart).every((part) => !part.includes(':'))).toBe(true);
    expect(new Set(HOSTILE_IDS.map(keyPart)).size).toBe(HOSTILE_IDS.length);
    expect(keyPart('alice@example.com')).toBe('alice@example.com');
  });

  it('writing every family with hostile user ids leaves every queue intact', async () => {
    // BullMQ's own keys in every queue: job 1 and 2, :meta, :events, :id, :wait, :marker…
    const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: redis, prefix }));
    for (const queue of queues) {
      await queue.add('seed', { seed: queue.name });
      await queue.add('seed', { seed: queue.name });
    }
    const before = await allKeys();
    expect([...before.keys()].some((key) => key === `${prefix}:profile:meta`)).toBe(true);

    const written = new Set<string>();
    const sample = async () => (await allKeys()).forEach((_type, key) => written.add(key));
    const stats = new PipelineStats(redis, prefix);
    const webhooks = new WebhookRepository(redis, prefix);
    const batches = new LlmBatchQueue<string>(stack.config, redis);
    const lease = new RedisUserLease(redis, prefix, { leaseMs: 5_000, waitMs: 1_000 });
    const sessions = new AdminSessions(redis, prefix, 60);
    const spend = new LlmSpendGuard(redis, prefix, 100);
    const rpm = llmRequestLimiter(redis, prefix, 100);
    const usage = new LlmUsageTotals(redis, prefix);
    const writers: Record<KeyFamily, (id: string) => Promise<unknown>> = {
      apiKey: (id) => stack.keys.create(id, 'user'),
      apiKeyIndex: (id) => stack.keys.create(id, 'service'),
      // The rate limiter counts for the key's user: a key made for the hostile id, used once.
      rate: async (id) => {
        const { key } = await stack.keys.create(id, 'user');
        expect((await request(stack.app).get('/v1/categories').set('X-API-Key', key)).status).toBe(200);
      },
      adminSession: (id) => sessions.start(id),
      // Failed authentication counts per address (X-Forwarded-For is the client's text) and per key prefix.
      authFailures: async (id) => {
        expect((await request(stack.app).get('/v1/categories').set('X-Forwarded-For', id).set('X-API-Key', `${id}-not-a-key`)).status).toBe(401);
      },
      profileCache: (id) => stack.profileCache.set(id, { bio: 'b', stats: { total_memories: 0 } } as never),
      userLease: (id) => lease.withLease(id, sample),
      userFence: (id) => lease.withLease(id, async () => undefined),
      webhookRegistry: (id) => webhooks.create(id, 'https://example.com/hook', ['job.completed']),
      llmBatchPending: (id) => batches.add(id, ['entry']),
      stats: (id) => stats.stalled(id).then(() => stats.failed({ code: id, reason: id, job_id: id, final: true })),
      llmUsage: () => usage.record({ calls: 1, input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, llm_ms: 1 }),
      llmDay: (id) => spend.take(id),
      llmRpm: () => rpm(),
    };
    expect(Object.keys(writers).sort()).toEqual(Object.keys(KEY_FAMILIES).sort());
    for (const id of HOSTILE_IDS) for (const write of Object.values(writers)) await write(id);
    // The attack, through the API: a service key refreshing the profile of user "meta".
    expect((await request(stack.app).get('/v1/users/profile?user_id=meta&refresh=true').set('X-API-Key', SERVICE_KEY)).status).toBe(200);
    await sample();

    const after = await allKeys();
    for (const [key, type] of before) if (queueOf(key)) expect({ key, type: after.get(key) ?? 'gone' }).toEqual({ key, type });
    // Every key that is not a queue's belongs to one of mnemo's families.
    const families = new Set<string>(Object.values(KEY_FAMILIES));
    for (const key of written) {
      if (queueOf(key)) continue;
      expect({ key, family: families.has(key.slice(prefix.length + 1).split(':')[0]!) }).toEqual({ key, family: true });
    }
    // The queues still work: their meta, ids and jobs are BullMQ's.
    for (const queue of queues) {
      expect((await queue.getJob('1'))?.data).toEqual({ seed: queue.name });
      const added = await queue.add('after', { ok: true });
      expect((await queue.getJob(added.id!))?.data).toEqual({ ok: true });
      await expect(queue.getJobCounts()).resolves.toBeDefined();
      expect(await queue.isPaused()).toBe(false);
    }
    await Promise.all([...queues, batches].map((q) => q.close()));
  });

  it('after a profile refresh for user "meta", every user can still change and delete memories, and the profile rebuild is queued', async () => {
    await stack.startWorker();
    const service = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => request(stack.app)[method](path).set('X-API-Key', SERVICE_KEY);
    expect((await service('get', '/v1/users/profile?user_id=meta&refresh=true')).status).toBe(200);
    expect((await service('get', '/v1/users/profile?user_id=1&refresh=true')).status).toBe(200);
    const ids: string[] = [];
    for (const content of ['I live in Porto.', 'I like green tea.', 'My sister is called Ana.']) {
      const stored = await service('post', '/v1/memories').send({ user_id: 'carol', messages: [{ role: 'user', content }], agent_id: 'a', thread_id: content, source: 'chat' });
      expect(stored.status).toBe(200);
      ids.push(stored.body.memories[0].id);
    }
    expect((await service('patch', `/v1/memories/${ids[0]}`).send({ user_id: 'carol', memory: 'User lives in Lisbon' })).status).toBe(200);
    expect((await service('delete', `/v1/memories/${ids[1]}?user_id=carol`)).status).toBe(200);
    expect((await service('post', '/v1/memories/batch-delete').send({ user_id: 'carol', memory_ids: [ids[2]] })).status).toBe(200);
    // The changes asked for carol's profile to be rebuilt, and the profile queue took the request.
    await stack.profiles.queue.waitUntilReady();
    const [rebuild] = await stack.profiles.queue.getJobs(['delayed', 'waiting', 'active', 'completed']);
    expect(rebuild?.data).toEqual({ user_id: 'carol' });
  });

  it('moves webhooks registered before the move out of the delivery queue’s keys, and leaves the queue’s jobs alone', async () => {
    const legacy = { id: 'wh_legacy', url: 'https://example.com/old', events: ['job.completed'], secret: 'whsec_x', created_at: '2026-01-01T00:00:00.000Z' };
    await redis.hset(`${prefix}:webhooks:0123456789ab`, legacy.id, JSON.stringify(legacy));
    await redis.hset(`${prefix}:webhooks:5`, { name: 'deliver', data: '{}', timestamp: '1' });
    const webhooks = new WebhookRepository(redis, prefix);
    expect(await webhooks.list('0123456789ab')).toEqual([legacy]);
    expect(await redis.exists(`${prefix}:webhooks:0123456789ab`)).toBe(0);
    expect(await webhooks.list('5')).toEqual([]);
    expect(await redis.hget(`${prefix}:webhooks:5`, 'name')).toBe('deliver');
  });
});
