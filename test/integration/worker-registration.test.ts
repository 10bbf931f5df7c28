import { Queue } from 'bullmq';
import type { Logger } from '@mnemo/core';
import { createRedis, IngestQueue, PipelineStats, PROFILE_QUEUE, waitForRedis, WEBHOOK_QUEUE } from '@mnemo/queue';
import request from 'supertest';
import { eventually } from '../support/eventually';
import { MEMSYNC_EXAMPLE, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

/** Issue 13: every queue's worker is registered one way, with the same handlers and figures. */
describe('worker registration', () => {
  let stack: Stack;
  let stats: PipelineStats;
  const queues: Queue[] = [];
  const connections: ReturnType<typeof createRedis>[] = [];
  const connect = (label: string) => {
    const connection = createRedis(stack.config.REDIS_URL, 'command', label);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    stack = await startStack({ MNEMO_PROFILE_DEBOUNCE_MS: '50' });
    await stack.startWorker();
    stats = new PipelineStats(connect('test-stats'), stack.config.MNEMO_QUEUE_PREFIX);
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    connections.forEach((c) => c.disconnect());
    await stack.close();
  });

  const queue = (name: string) => {
    const q = new Queue(name, { connection: connect('test-queue'), prefix: stack.config.MNEMO_QUEUE_PREFIX });
    queues.push(q);
    return q;
  };
  const totalsOf = async (name: string) => (await stats.workerTotals()).find((q) => q.queue === name);

  it('records completed and failed jobs of every queue, not only ingest, and shows them on /metrics', async () => {
    expect((await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(MEMSYNC_EXAMPLE)).status).toBe(200);
    // Payloads no processor accepts: each queue's worker fails them, and must say so.
    await queue(PROFILE_QUEUE.name).add(PROFILE_QUEUE.jobName, { user_id: 42 } as never, { attempts: 1 });
    await queue(WEBHOOK_QUEUE.name).add(WEBHOOK_QUEUE.jobName, { nonsense: true } as never, { attempts: 1 });

    await eventually(async () => {
      expect(await totalsOf('ingest')).toMatchObject({ completed: 1 });
      expect((await totalsOf('profile'))?.completed).toBeGreaterThanOrEqual(1);
      expect(await totalsOf('profile')).toMatchObject({ failed: 1 });
      expect(await totalsOf('webhooks')).toMatchObject({ failed: 1 });
    });
    expect((await totalsOf('ingest'))!.processing_ms).toBeGreaterThan(0);

    const metrics = (await request(stack.app).get('/metrics')).text;
    expect(metrics).toContain('mnemo_worker_jobs_total{queue="profile",event="failed"} 1');
    expect(metrics).toContain('mnemo_worker_jobs_total{queue="webhooks",event="failed"} 1');
    expect(metrics).toContain('mnemo_worker_jobs_total{queue="ingest",event="completed"} 1');
  });

  it('reports, instead of swallowing, an enqueue figure it cannot record', async () => {
    const warnings: [string, Record<string, unknown>][] = [];
    const logger = { warn: (message: string, meta: Record<string, unknown>) => warnings.push([message, meta]) } as unknown as Logger;
    const redis = createRedis(stack.config.REDIS_URL, 'command', 'test-broken-stats');
    const blocking = createRedis(stack.config.REDIS_URL, 'blocking', 'test-broken-stats-events');
    await waitForRedis(redis, stack.config.REDIS_URL, 5_000);
    const producer = new IngestQueue(stack.config, redis, blocking, logger);
    try {
      // The per-minute figures are hashes: a string where one belongs makes every increment fail.
      const now = Date.now();
      for (const at of [now, now + 60_000]) {
        await redis.set(`${stack.config.MNEMO_QUEUE_PREFIX}:stats:minute:${new Date(at).toISOString().slice(0, 16)}`, 'not a hash');
      }
      const single = await producer.enqueue('stats-user', { ...MEMSYNC_EXAMPLE, thread_id: 'broken-stats-1' } as never);
      await producer.enqueueMany([{ userId: 'stats-user', conversation: { ...MEMSYNC_EXAMPLE, thread_id: 'broken-stats-2' } as never }]);
      await eventually(() => expect(warnings.filter(([m]) => m === 'could not record pipeline stats')).toHaveLength(2));
      expect(warnings[0]![1]).toMatchObject({ figure: 'enqueued', job_ids: [single.id], error: expect.stringMatching(/WRONGTYPE/) });
    } finally {
      await producer.close();
      redis.disconnect();
      blocking.disconnect();
    }
  });
});
