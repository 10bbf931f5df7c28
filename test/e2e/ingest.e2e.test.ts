import { SqliteMemoryStore } from '@mnemo/store';
import { assertBuilt, freePort, runCli, startProcess, type MnemoProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { MEMSYNC_EXAMPLE } from '../support/stack';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(60_000);

describe('start-up errors', () => {
  it('stops with a message naming the bad variable', async () => {
    const api = startProcess('api', { PORT: 'eighty', REDIS_URL: TEST_REDIS_URL });
    expect(await api.exited).toBe(1);
    expect(api.output).toMatch(/PORT: .*\(got "eighty"\)/);
  });

  it('says how to get a Redis when none answers', async () => {
    const dir = makeTempDir('noredis');
    const worker = startProcess('worker', { REDIS_URL: 'redis://127.0.0.1:1', MNEMO_DATA_DIR: dir, MNEMO_REDIS_CONNECT_TIMEOUT_MS: '500' });
    expect(await worker.exited).toBe(1);
    removeTempDir(dir);
    expect(worker.output).toMatch(/Redis is not reachable at redis:\/\/127\.0\.0\.1:1/);
    expect(worker.output).toMatch(/docker compose up -d redis/);
  });
});

/**
 * What a new user does from the README, against the real processes and
 * real Redis: start the API and a worker, create a key, store a conversation.
 */
describe('mnemo end to end', () => {
  const prefix = uniquePrefix('e2e');
  const dataDir = makeTempDir('e2e');
  let env: Record<string, string>;
  let base: string;
  let api: MnemoProcess;
  let worker: MnemoProcess;
  let key: string;
  let otherKey: string;
  const processes: MnemoProcess[] = [];

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { 'content-type': 'application/json', 'x-api-key': init.key ?? key, ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const waitForJob = async (
    jobId: string,
    until: (job: Record<string, any>) => boolean,
    timeoutMs = 30_000,
    asKey = key,
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await call(`/v1/jobs/${jobId}`, { key: asKey });
      if (until(body)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} stuck: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const startWorker = async (extra: Record<string, string> = {}) => {
    const started = startProcess('worker', { ...env, ...extra });
    processes.push(started);
    await started.waitForOutput(/worker ready/);
    return started;
  };

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      MNEMO_DATA_DIR: dataDir,
      MNEMO_QUEUE_PREFIX: prefix,
      MNEMO_JOB_BACKOFF_MS: '100',
    };
    api = startProcess('api', env);
    processes.push(api);
    await api.waitForOutput(/api listening/);
    worker = await startWorker();
    key = await runCli(['keys', 'create', '--user', 'e2e-alice'], env);
    otherKey = await runCli(['keys', 'create', '--user', 'e2e-bob'], env);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const p of processes) console.log(`--- ${p.name} output ---\n${p.output.slice(-4000)}`);
    }
  });

  it('stores the MemSync example and answers 200 with career memories', async () => {
    const { status, body } = await call('/v1/memories', { body: MEMSYNC_EXAMPLE });
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.memories_created).toBeGreaterThanOrEqual(2);
    expect(body.categories_detected).toContain('career');
    expect(body.processing_time).toMatch(/^\d+\.\d+s$/);
    expect(body.memories).toHaveLength(body.memories_created);
  });

  it('answers 202 with ?async=true and the job reaches completed', async () => {
    // Another user, so the facts are new to them (alice already has them: a repeat only touches).
    const { status, body } = await call('/v1/memories?async=true', { body: MEMSYNC_EXAMPLE, key: otherKey });
    expect(status).toBe(202);
    expect(body.status_url).toBe(`/v1/jobs/${body.job_id}`);
    const job = await waitForJob(body.job_id, (j) => j.status === 'completed', 30_000, otherKey);
    expect(job.result.memories_created).toBeGreaterThanOrEqual(2);
    expect(job.result.categories_detected).toContain('career');
  });

  it('touches rather than duplicates facts the user already has', async () => {
    const { status, body } = await call('/v1/memories', { body: { ...MEMSYNC_EXAMPLE, thread_id: 'e2e-again' } });
    expect(status).toBe(200);
    expect(body.memories_created).toBe(0);
    const job = await call(`/v1/jobs/${body.job_id}`);
    expect(job.body.result.memories_merged).toBeGreaterThanOrEqual(2);
    // The memory lists both conversations it came from.
    const list = await call('/v1/memories?page_size=100');
    const promoted = list.body.data.find((m: { memory: string }) => /promoted/.test(m.memory));
    expect(promoted.mentions).toBe(2);
    expect(promoted.provenance.map((p: { thread_id: string }) => p.thread_id)).toEqual(['conversation-2024-001', 'e2e-again']);
    // Both conversations say they took place at the example's time: the memory is dated by it, not by the import.
    expect(promoted).toMatchObject({ created_at: '2024-03-20T10:00:00.000Z', last_seen_at: '2024-03-20T10:00:00.000Z' });
    expect(promoted.updated_at > promoted.created_at).toBe(true);
  });

  it('refuses a bad key, a missing agent_id, and another user\'s job', async () => {
    const bad = await call('/v1/memories', { body: MEMSYNC_EXAMPLE, key: 'mnemo_wrong' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('AUTHENTICATION_ERROR');

    const { agent_id: _omit, ...noAgent } = MEMSYNC_EXAMPLE;
    const invalid = await call('/v1/memories', { body: noAgent });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details).toEqual([expect.objectContaining({ field: 'agent_id' })]);

    const mine = await call('/v1/memories?async=true', { body: { ...MEMSYNC_EXAMPLE, thread_id: 'e2e-mine' } });
    const theirs = await call(`/v1/jobs/${mine.body.job_id}`, { key: otherKey });
    expect(theirs.status).toBe(404);
  });

  it('processes the same body posted twice as one job', async () => {
    const body = { ...MEMSYNC_EXAMPLE, thread_id: 'e2e-twice' };
    const [first, second] = await Promise.all([call('/v1/memories', { body }), call('/v1/memories', { body })]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    // Posted at the same moment, either both arrive before the job exists (both answer its memories) or one
    // finds it there and says it is a duplicate with nothing counted; never two sets of memories.
    const answers = [first.body, second.body].sort((a, b) => Number(a.duplicate) - Number(b.duplicate));
    expect(answers[0].duplicate).toBe(false);
    expect(answers[0].memories.length).toBeGreaterThan(0);
    if (answers[1].duplicate) expect(answers[1]).toMatchObject({ memories_created: 0, memories: [] });
    else expect(answers[1].memories).toEqual(answers[0].memories);
  });

  it('mnemo keys revoke fails clearly for an unknown key id', async () => {
    await expect(runCli(['keys', 'revoke', 'nosuchkey'], env)).rejects.toThrow(/exited 1: no key with id nosuchkey/);
  });

  it('survives SIGTERM to the worker mid-job: a new worker completes it and memories are stored once', async () => {
    await worker.stop('SIGTERM');
    // A slow worker (every stage sleeps) so the job is surely mid-flight when the signal lands.
    const slow = await startWorker({ MNEMO_FAULT_STAGE_DELAY_MS: '1500', MNEMO_SHUTDOWN_TIMEOUT_MS: '2000' });
    const conversation = {
      ...MEMSYNC_EXAMPLE,
      thread_id: 'e2e-sigterm',
      messages: [
        { role: 'user', content: 'I moved to Lisbon last year and I work as a data analyst at a bank.' },
        { role: 'assistant', content: 'How are you finding Lisbon?' },
        { role: 'user', content: 'I love it. My partner and I are adopting a dog next month.' },
      ],
    };
    const { body } = await call('/v1/memories?async=true', { body: conversation });
    await waitForJob(body.job_id, (j) => j.status === 'active' && ['extract', 'classify'].includes(j.stage), 15_000);

    expect(await slow.stop('SIGTERM')).toBe(0);
    expect(slow.output).toMatch(/handing job back for shutdown/);
    const handedBack = await call(`/v1/jobs/${body.job_id}`);
    expect(['delayed', 'waiting']).toContain(handedBack.body.status);
    expect(handedBack.body.attempts).toBe(0);

    await startWorker();
    const job = await waitForJob(body.job_id, (j) => j.status === 'completed');
    expect(job.result.resumed_stages).toEqual(expect.arrayContaining(['analyze', 'extract']));
    expect(job.result.memories_created).toBeGreaterThanOrEqual(2);

    const store = SqliteMemoryStore.open(dataDir);
    try {
      const { items } = await store.list('e2e-alice', { page: 1, pageSize: 1000 });
      const stored = items.filter((m) => m.thread_id === 'e2e-sigterm');
      expect(stored).toHaveLength(job.result.memories_created);
      expect(stored.every((m) => m.mentions === 1)).toBe(true);
      expect(new Set(stored.map((m) => m.memory)).size).toBe(stored.length);
    } finally {
      await store.close();
    }
  });
});
