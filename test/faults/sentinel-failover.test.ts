import { SqliteMemoryStore } from '@mnemo/store';
import { conversation, record, services, sleep, until, type Services } from '../support/fault-services';
import { freePort } from '../support/processes';
import { MASTER_NAME, SentinelGroup } from '../support/sentinel-group';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(240_000);

interface Answer {
  n: number;
  status: number;
  jobId?: string;
  code?: string;
  ms: number;
  at: number;
}

/**
 * The Redis primary dies (SIGKILL) under a steady stream of posts and a
 * running worker; Sentinel promotes the replica. A 202 is a promise: the
 * API answers it only once the replica holds the job (WAIT), so every
 * accepted conversation must be stored exactly once; while there is no
 * primary the API answers 503 and nothing else; API and worker carry on
 * without a restart.
 */
describe('Sentinel failover under load', () => {
  const dir = makeTempDir('sentinel');
  const dataDir = makeTempDir('sentinel-data');
  const group = new SentinelGroup(dir);
  let s: Services | undefined;
  afterAll(async () => {
    await s?.stopAll();
    await group.stop();
    removeTempDir(dir);
    removeTempDir(dataDir);
  });

  it('keeps every accepted job, answers 503 during the switch, and recovers by itself', async () => {
    await group.start();
    const workerPort = await freePort();
    s = await services({
      REDIS_SENTINELS: group.sentinelList,
      REDIS_SENTINEL_MASTER: MASTER_NAME,
      MNEMO_DATA_DIR: dataDir,
      MNEMO_REDIS_WAIT_REPLICAS: '1',
      MNEMO_REDIS_WAIT_TIMEOUT_MS: '2000',
      // A job whose lock was lost in the switch is handed back within seconds, not the default 30.
      MNEMO_JOB_LOCK_MS: '5000',
    });
    const services_ = s;
    await services_.startApi();
    await services_.startWorker({ MNEMO_WORKER_PORT: String(workerPort) });

    const answers: Answer[] = [];
    let next = 0;
    let stopPosting = false;
    // Two clients posting back to back: a steady stream with requests in flight when the primary dies.
    const poster = async () => {
      while (!stopPosting) {
        const n = next++;
        const started = Date.now();
        try {
          const res = await services_.call('/v1/memories?async=true', { body: conversation(`failover-${n}`, `I have ${n} plants on my balcony.`) });
          answers.push({ n, status: res.status, jobId: res.body.job_id, code: res.body.error?.code, ms: res.ms, at: Date.now() });
        } catch (err) {
          // No answer at all (a reset connection, 15 s without one): recorded, and fails the test below.
          answers.push({ n, status: 0, code: (err as Error).message, ms: Date.now() - started, at: Date.now() });
        }
        await sleep(20);
      }
    };
    const posters = [poster(), poster()];

    await until(async () => answers.filter((a) => a.status === 202).length, (k) => k >= 40, '40 accepted before the failover');
    const killedAt = Date.now();
    await group.primary.stop('SIGKILL');
    await group.untilPromoted();
    const promotedAt = Date.now();
    // Posting goes on until the API has accepted 40 more after the switch.
    await until(async () => answers.filter((a) => a.at > promotedAt && a.status === 202).length, (k) => k >= 40, '40 accepted after the failover', 60_000);
    stopPosting = true;
    await Promise.all(posters);

    // Nothing but 202 and 503 (retry-safe, in the API's error shape).
    const others = answers.filter((a) => a.status !== 202 && !(a.status === 503 && a.code === 'SERVICE_UNAVAILABLE'));
    expect(others).toEqual([]);
    const refused = answers.filter((a) => a.status === 503);
    const accepted = answers.filter((a) => a.status === 202);

    // Every accepted job completes, on the processes that were running all along.
    for (const a of accepted) {
      const done = await until(() => services_.call(`/v1/jobs/${a.jobId}?user_id=failover-${a.n}`), (r) => r.body.status === 'completed', `job ${a.n}`, 90_000);
      expect(done.status).toBe(200);
    }
    const completedAt = Date.now();
    for (const p of services_.processes) expect(p.child.exitCode).toBeNull();

    // Exactly once: each accepted conversation is one memory; refused ones may have been stored or not, but once at most.
    const store = SqliteMemoryStore.open(dataDir);
    let duplicates = 0;
    let storedRefused = 0;
    try {
      for (const a of accepted) {
        const count = await store.count(`failover-${a.n}`);
        expect(count).toBe(1);
        if (count > 1) duplicates++;
      }
      for (const a of refused) {
        const count = await store.count(`failover-${a.n}`);
        expect(count).toBeLessThanOrEqual(1);
        storedRefused += count;
      }
    } finally {
      await store.close();
    }

    // The outage clients saw: from the last 202 before the kill to the first 202 after it.
    const lastBefore = Math.max(...accepted.filter((a) => a.at <= killedAt).map((a) => a.at));
    const firstAfter = Math.min(...accepted.filter((a) => a.at > killedAt).map((a) => a.at));
    record('sentinel-failover', {
      requests: answers.length,
      accepted: accepted.length,
      answered_503: refused.length,
      slowest_503_ms: Math.max(0, ...refused.map((a) => a.ms)),
      other_answers: others.length,
      completed: accepted.length,
      duplicates,
      refused_but_stored: storedRefused,
      sentinel_promotion_ms: promotedAt - killedAt,
      client_outage_ms: firstAfter - lastBefore,
      all_jobs_done_after_kill_ms: completedAt - killedAt,
    });
  });
});
