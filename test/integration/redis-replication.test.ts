import { Redis } from 'ioredis';
import request from 'supertest';
import { parseConnectedReplicas } from '../../packages/queue/src/connected-replicas';
import { eventually } from '../support/eventually';
import { OwnRedis } from '../support/own-redis';
import { freePort } from '../support/processes';
import { MEMSYNC_EXAMPLE, SERVICE_KEY, startStack, type Stack } from '../support/stack';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(60_000);

/** Acceptance is durable: with a replica connected, 202 only once the replica holds the job (WAIT). */
describe('acceptance waits for a replica', () => {
  let primary: OwnRedis;
  let replica: OwnRedis;
  let stack: Stack;
  const dirs: string[] = [];
  const dir = () => {
    const d = makeTempDir('replication');
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    primary = new OwnRedis(await freePort(), dir());
    await primary.start();
    replica = new OwnRedis(await freePort(), dir(), ['--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    await linkUp(replica.url);
    stack = await startStack({ REDIS_URL: primary.url, MNEMO_REDIS_WAIT_REPLICAS: '1', MNEMO_REDIS_WAIT_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await stack?.close();
    await replica?.stop();
    await primary?.stop();
    dirs.forEach(removeTempDir);
  });

  const post = (thread: string) =>
    request(stack.app).post('/v1/memories?async=true').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'durable', thread_id: thread });

  it('answers 202 when the replica holds the job, 503 (retry-safe) when no replica acknowledges in time', async () => {
    const accepted = await post('t-1');
    expect(accepted.status).toBe(202);
    const copy = new Redis(replica.url);
    try {
      await eventually(async () => expect(await copy.exists(`${stack.config.MNEMO_QUEUE_PREFIX}:ingest:${accepted.body.job_id}`)).toBe(1));
    } finally {
      copy.disconnect();
    }

    // The replica stops acknowledging (frozen, still connected): the job is in the primary alone.
    const pid = Number(/process_id:(\d+)/.exec(await infoOf(replica.url))![1]);
    process.kill(pid, 'SIGSTOP');
    let refused;
    try {
      refused = await post('t-2');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/0 of 1 replicas hold the job after 2000 ms; retry the same request/),
      details: { job_ids: [expect.any(String)] },
    });
    expect(refused.headers['retry-after']).toBeDefined();

    // The retry is the same job, not a second one.
    await eventually(async () => {
      const retried = await post('t-2');
      expect(retried.status).toBe(202);
      expect(retried.body.job_id).toBe(refused.body.error.details.job_ids[0]);
    });
    expect(await stack.ingest.queue.getJobCountByTypes('waiting', 'prioritized', 'active', 'completed')).toBe(2);
  });
});

describe('the replica count', () => {
  it('is read from INFO replication', () => {
    expect(parseConnectedReplicas('# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=…\r\n')).toBe(2);
    expect(parseConnectedReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
    expect(parseConnectedReplicas('')).toBe(0);
  });
});

async function infoOf(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    return await redis.info('server');
  } finally {
    redis.disconnect();
  }
}

/** Until the replica has synced from the primary. */
async function linkUp(url: string): Promise<void> {
  const redis = new Redis(url);
  try {
    await eventually(async () => expect(await redis.info('replication')).toMatch(/master_link_status:up/), { timeoutMs: 20_000 });
  } finally {
    redis.disconnect();
  }
}
