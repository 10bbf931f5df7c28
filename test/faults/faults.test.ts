import fs from 'node:fs';
import path from 'node:path';
import { STAGE_NAMES } from '@mnemo/core';
import { SqliteMemoryStore } from '@mnemo/store';
import { FakeQdrant } from '../support/fake-qdrant';
import { OwnRedis } from '../support/own-redis';
import { conversation, record, services, sleep, until, type Services } from '../support/fault-services';
import { freePort, startProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(180_000);

/**
 * Faults against real processes on real Redis: every scenario counts what
 * was accepted, what completed and what was stored, and nothing may be
 * lost or duplicated. Figures go to RELIABILITY.md.
 */

describe('a worker SIGKILLed in each stage', () => {
  const prefix = uniquePrefix('kill');
  const dataDir = makeTempDir('kill');
  let s: Services;
  beforeAll(async () => {
    s = await services({ REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dataDir, MNEMO_JOB_LOCK_MS: '1000' });
    await s.startApi();
  });
  afterAll(async () => {
    await s.stopAll();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it.each(STAGE_NAMES.map((stage) => [stage]))('killed in %s: the job is recovered and completes once', async (stage) => {
    const user = `killed-in-${stage}`;
    const doomed = await s.startWorker({ MNEMO_FAULT_STAGE_DELAY_MS: '700' });
    const accepted = await s.call('/v1/memories?async=true', { body: conversation(user, 'I restore antique clocks for a living.') });
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.job_id;
    await until(() => s.call(`/v1/jobs/${jobId}?user_id=${user}`), (r) => r.body.stage === stage, `stage ${stage}`, 20_000);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();

    const rescuer = await s.startWorker();
    const done = await until(() => s.call(`/v1/jobs/${jobId}?user_id=${user}`), (r) => r.body.status === 'completed', 'completion', 30_000);
    await rescuer.stop('SIGTERM');
    expect(done.body).toMatchObject({ status: 'completed', stalled: 1, error: null });
    const store = SqliteMemoryStore.open(dataDir);
    try {
      expect(await store.count(user)).toBe(done.body.result.memories_created);
      expect(done.body.result.memories_created).toBe(1);
      record(`sigkill-${stage}`, { jobs: 1, completed: 1, stalled: done.body.stalled, memories: await store.count(user), recovered_ms: Date.now() - killedAt });
    } finally {
      await store.close();
    }
  });
});

describe('Redis stopped for 10 seconds under a running API and worker', () => {
  const dir = makeTempDir('redis-outage');
  const dataDir = makeTempDir('redis-outage-data');
  let redis: OwnRedis;
  let s: Services;
  afterAll(async () => {
    await s?.stopAll();
    await redis?.stop();
    removeTempDir(dir);
    removeTempDir(dataDir);
  });

  it('answers 503 fast, goes not ready, recovers by itself, and loses no accepted job', async () => {
    redis = new OwnRedis(await freePort(), dir);
    await redis.start();
    const workerPort = await freePort();
    s = await services({ REDIS_URL: redis.url, MNEMO_DATA_DIR: dataDir });
    await s.startApi();
    await s.startWorker({ MNEMO_WORKER_PORT: String(workerPort), MNEMO_FAULT_STAGE_DELAY_MS: '300' });

    // Accepted before the outage: 10 jobs, some running when Redis goes.
    const accepted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await s.call('/v1/memories?async=true', { body: conversation(`outage-${i}`, `I have ${i} bicycles in my garage.`) });
      expect(res.status).toBe(202);
      accepted.push(res.body.job_id);
    }
    await redis.stop();

    const during: number[] = [];
    const outageStarted = Date.now();
    while (Date.now() - outageStarted < 10_000) {
      const res = await s.call('/v1/memories?async=true', { body: conversation('outage-late', 'I sing in a choir.') });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
      during.push(res.ms);
      expect((await s.call('/readyz')).status).toBe(503);
      const worker = await fetch(`http://127.0.0.1:${workerPort}/readyz`);
      expect(worker.status).toBe(503);
      await sleep(1_000);
    }
    expect(Math.max(...during)).toBeLessThan(1_000);
    const restartedAt = Date.now();

    await redis.start();
    await until(() => s.call('/readyz'), (r) => r.status === 200, 'API ready again', 20_000);
    await until(async () => (await fetch(`http://127.0.0.1:${workerPort}/readyz`)).status, (status) => status === 200, 'worker ready again', 20_000);
    for (const [i, jobId] of accepted.entries()) {
      const done = await until(() => s.call(`/v1/jobs/${jobId}?user_id=outage-${i}`), (r) => r.body.status === 'completed', `job ${i}`, 60_000);
      expect(done.body.result.memories_created + done.body.result.memories_merged).toBe(1);
    }
    const recoveredMs = Date.now() - restartedAt;
    const store = SqliteMemoryStore.open(dataDir);
    let memories = 0;
    try {
      for (let i = 0; i < 10; i++) {
        expect(await store.count(`outage-${i}`)).toBe(1);
        memories++;
      }
    } finally {
      await store.close();
    }
    expect((await s.call('/v1/memories?async=true', { body: conversation('outage-after', 'I sing in a choir.') })).status).toBe(202);
    record('redis-outage-10s', {
      accepted_before: 10,
      requests_during: during.length,
      answered_503: during.length,
      max_503_ms: Math.max(...during),
      completed: 10,
      memories,
      all_jobs_done_after_restart_ms: recoveredMs,
    });
  });
});

describe('the store unavailable during the store stage', () => {
  const prefix = uniquePrefix('store-down');
  const qdrant = new FakeQdrant();
  let s: Services;
  afterAll(async () => {
    await s?.stopAll();
    await qdrant.stop();
    await deletePrefix(prefix);
  });

  it('retries resume at the store stage, without extracting again, then succeed', async () => {
    await qdrant.start();
    s = await services({ REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix, MNEMO_STORE: 'qdrant', QDRANT_URL: qdrant.url, MNEMO_JOB_ATTEMPTS: '5', MNEMO_JOB_BACKOFF_MS: '300' });
    await s.startApi();
    await s.startWorker();
    await qdrant.refuseConnections();
    const accepted = await s.call('/v1/memories?async=true', { body: conversation('store-down', 'I keep three hives of bees.') });
    const failedOnce = await until(() => s.call(`/v1/jobs/${accepted.body.job_id}?user_id=store-down`), (r) => r.body.attempts >= 2, 'two failed attempts', 30_000);
    expect(failedOnce.body.status).not.toBe('completed');
    await qdrant.acceptConnections();
    const done = await until(() => s.call(`/v1/jobs/${accepted.body.job_id}?user_id=store-down`), (r) => r.body.status === 'completed', 'completion', 30_000);
    expect(done.body.result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
    expect(done.body.result.memories_created).toBe(1);
    expect(done.body.attempts).toBeGreaterThanOrEqual(3);
    record('store-unavailable', { jobs: 1, failed_attempts: done.body.attempts - 1, completed: 1, memories: done.body.result.memories_created, resumed_stages: done.body.result.resumed_stages });
  });
});

describe('SIGTERM to a worker under load', () => {
  const prefix = uniquePrefix('drain');
  const dataDir = makeTempDir('drain');
  let s: Services;
  afterAll(async () => {
    await s?.stopAll();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('drains or hands back its jobs; every accepted job completes once', async () => {
    s = await services({ REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dataDir, MNEMO_SHUTDOWN_TIMEOUT_MS: '2000' });
    await s.startApi();
    const first = await s.startWorker({ MNEMO_FAULT_STAGE_DELAY_MS: '150' });
    const jobs: { id: string; user: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const user = `drain-${i % 8}`;
      const res = await s.call('/v1/memories?async=true', { body: conversation(user, `My locker number is ${1000 + i}.`) });
      expect(res.status).toBe(202);
      jobs.push({ id: res.body.job_id, user });
    }
    await sleep(1_000);
    expect(await first.stop('SIGTERM')).toBe(0);
    await s.startWorker();
    for (const { id, user } of jobs) {
      await until(() => s.call(`/v1/jobs/${id}?user_id=${user}`), (r) => r.body.status === 'completed', `job ${id}`, 60_000);
    }
    const store = SqliteMemoryStore.open(dataDir);
    try {
      let total = 0;
      for (let u = 0; u < 8; u++) total += await store.count(`drain-${u}`);
      expect(total).toBe(40);
      record('sigterm-under-load', { accepted: 40, completed: 40, memories: total, worker_exit_code: 0 });
    } finally {
      await store.close();
    }
  });
});

describe('a Redis that may evict keys', () => {
  const dir = makeTempDir('evicting');
  let redis: OwnRedis;
  afterAll(async () => {
    await redis?.stop();
    removeTempDir(dir);
  });

  it('is warned about at start-up, or refused when MNEMO_REQUIRE_NOEVICTION is set', async () => {
    redis = new OwnRedis(await freePort(), dir, ['--maxmemory-policy', 'allkeys-lru']);
    await redis.start();
    const dataDir = makeTempDir('evicting-data');
    try {
      const port = String(await freePort());
      const warned = startProcess('api', { REDIS_URL: redis.url, MNEMO_DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1' });
      await warned.waitForOutput(/api listening/);
      expect(warned.output).toMatch(/maxmemory-policy is allkeys-lru: when Redis is full it will evict queued jobs/);
      await warned.stop();
      const refused = startProcess('worker', { REDIS_URL: redis.url, MNEMO_DATA_DIR: dataDir, MNEMO_REQUIRE_NOEVICTION: 'true' });
      expect(await refused.exited).toBe(1);
      expect(refused.output).toMatch(/Refusing to start \(MNEMO_REQUIRE_NOEVICTION=true\)/);
    } finally {
      removeTempDir(dataDir);
    }
  });
});
