import { SqliteMemoryStore } from '@mnemo/store';
import { assertBuilt, freePort, runCli, startProcess, type MnemoProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(90_000);

/** Operators' view of a crash: a worker killed mid-job, its job stalled, recovered and completed once. */
describe('a worker killed with SIGKILL', () => {
  const prefix = uniquePrefix('crash');
  const dataDir = makeTempDir('crash');
  const processes: MnemoProcess[] = [];
  let env: Record<string, string>;
  let base: string;

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Locks of a dead worker expire after 2 s here (30 s by default).
    env = { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix, MNEMO_JOB_LOCK_MS: '2000' };
    const api = startProcess('api', env);
    processes.push(api);
    await api.waitForOutput(/api listening/);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = startProcess('worker', { ...env, ...extra });
    processes.push(worker);
    await worker.waitForOutput(/worker ready/);
    return worker;
  };

  it('shows the job stalled and requeued, and another worker completes it once', async () => {
    const adminKey = await runCli(['keys', 'create', '--user', 'ops', '--role', 'admin'], env);
    const userKey = await runCli(['keys', 'create', '--user', 'crash-user'], env);
    const call = async (path: string, key: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as Record<string, any>;
    };

    // A slow worker (1 s between stages), killed while the job runs.
    const doomed = await startWorker({ MNEMO_FAULT_STAGE_DELAY_MS: '1000' });
    const accepted = await call('/v1/memories?async=true', userKey, {
      messages: [{ role: 'user', content: 'I live in Bergen and I sail every summer.' }],
      agent_id: 'a',
      thread_id: 'crash-1',
      source: 'chat',
    });
    const jobId = accepted.job_id;
    for (let i = 0; i < 100 && (await call(`/v1/jobs/${jobId}`, userKey)).status !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
    await doomed.stop('SIGKILL');
    expect((await call(`/v1/jobs/${jobId}`, userKey)).status).toBe('active'); // nobody knows yet

    await startWorker();
    let job: Record<string, any> = {};
    for (let i = 0; i < 200 && job.status !== 'completed'; i++) {
      job = await call(`/v1/jobs/${jobId}`, userKey);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ status: 'completed', stalled: 1, error: null });
    expect(job.result.memories_created).toBeGreaterThanOrEqual(1);

    const overview = await call('/admin/api/overview', adminKey);
    expect(overview.stalled).toEqual({ total: 1, last: { job_id: jobId, at: expect.any(String) } });
    expect(overview.completed).toBe(1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^mnemo_jobs_stalled_total 1$/m);

    // Stored once.
    const store = SqliteMemoryStore.open(dataDir);
    try {
      expect(await store.count('crash-user')).toBe(job.result.memories_created);
    } finally {
      await store.close();
    }
  });
});
