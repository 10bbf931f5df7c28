import os from 'node:os';
import { Redis } from 'ioredis';
import request from 'supertest';
import { ApiKeyRepository } from '@mnemo/auth';
import { MnemoError } from '@mnemo/core';
import { eventually } from '../support/eventually';
import { TEST_REDIS_URL } from '../support/redis';
import { mentions, stagesFailingAt } from '../support/faulty-stages';
import { ADMIN_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(30_000);

/** Reads one sample from Prometheus text: the value of `name{labels}` (labels as written, sorted as prom-client prints them). */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('operators: dashboard, metrics and job control', () => {
  let stack: Stack;
  /** Conversations containing this word fail in the categorize stage, for good, until it is cleared. */
  let poison = 'FAIL-ME';
  beforeAll(async () => {
    stack = await startStack({ MNEMO_JOB_ATTEMPTS: '1' });
    await stack.startWorker(
      stagesFailingAt('categorize', (ctx) => (mentions(ctx, poison) ? new MnemoError('PROCESSING_ERROR', 'the categorizer rejected this conversation') : null)),
    );
  });
  afterAll(() => stack.close());

  const post = (content: string, user = 'ops-user') =>
    request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ user_id: user, messages: [{ role: 'user', content }], agent_id: 'a', thread_id: `thread-${content.length}-${content.charCodeAt(0)}`, source: 'chat' });
  const admin = (path: string) => request(stack.app).get(path).set('X-API-Key', ADMIN_KEY);

  it('sends people to the login form and scripts an error with a Basic challenge', async () => {
    const page = await request(stack.app).get('/admin').set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/admin/login?next=%2Fadmin');
    const api = await request(stack.app).get('/admin/api/overview');
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toMatch(/^Basic realm="mnemo admin"/);
    expect(api.body).toMatchObject({ status: 'error', error: { code: 'AUTHENTICATION_ERROR' } });
    // A valid key without the admin role is refused, not challenged.
    const user = await request(stack.app).get('/admin/api/overview').set('X-API-Key', USER_KEY);
    expect(user.status).toBe(403);
    expect((await request(stack.app).get('/admin/queues/api/queues')).status).toBe(401);
  });

  it('logs in with an admin key only, through a cookie that works for the dashboard and Bull Board', async () => {
    const wrong = await request(stack.app).post('/admin/login').type('form').send({ key: USER_KEY, next: '/admin' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('not an admin key');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const agent = request.agent(stack.app);
    const login = await agent.post('/admin/login').type('form').send({ key: ADMIN_KEY, next: 'https://evil.example/' });
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/admin'); // no redirect off the dashboard
    expect(login.headers['set-cookie']![0]).toMatch(/^mnemo_admin=[\w-]{43}; Max-Age=43200; Path=\/admin; .*HttpOnly; SameSite=Strict/);
    expect((await agent.get('/admin')).text).toContain('mnemo operations');
    expect((await agent.get('/admin/api/overview')).status).toBe(200);
    expect((await agent.get('/admin/queues/api/queues')).status).toBe(200);
    expect((await agent.get('/admin/assets/chart.umd.min.js')).text).toContain('Chart');

    await agent.post('/admin/logout').expect(303);
    expect((await agent.get('/admin/api/overview')).status).toBe(401);

    const basic = await request(stack.app).get('/admin/api/overview').auth('ops', ADMIN_KEY);
    expect(basic.status).toBe(200);
  });

  const cookieOf = (res: request.Response) => /^mnemo_admin=([\w-]+)/.exec(res.headers['set-cookie']?.[0] ?? '')?.[1];

  it('ends a session on logout: the old cookie, replayed, is refused', async () => {
    const login = await request(stack.app).post('/admin/login').type('form').send({ key: ADMIN_KEY, next: '/admin' });
    const token = cookieOf(login)!;
    const replay = () => request(stack.app).get('/admin/api/overview').set('Cookie', `mnemo_admin=${token}`);
    expect((await replay()).status).toBe(200);
    await request(stack.app).post('/admin/logout').set('Cookie', `mnemo_admin=${token}`).expect(303);
    expect((await replay()).status).toBe(401);
  });

  it('ends a session when its admin key is revoked elsewhere, within the key-verification window', async () => {
    const { key, stored } = await stack.keys.create('ops-2', 'admin', 'revoked mid-session');
    const token = cookieOf(await request(stack.app).post('/admin/login').type('form').send({ key, next: '/admin' }))!;
    const withCookie = (call: request.Test) => call.set('Cookie', `mnemo_admin=${token}`);
    expect((await withCookie(request(stack.app).get('/admin/api/overview'))).status).toBe(200);
    // `mnemo keys revoke` runs in another process, with its own repository.
    const cli = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      expect(await new ApiKeyRepository(cli, stack.config.MNEMO_QUEUE_PREFIX).revoke(stored.key_id)).toBe(true);
    } finally {
      cli.disconnect();
    }
    await eventually(async () => expect((await withCookie(request(stack.app).get('/admin/api/overview'))).status).toBe(401));
    expect((await withCookie(request(stack.app).post('/admin/api/jobs/retry-failed'))).status).toBe(401);
    expect((await withCookie(request(stack.app).get('/admin/queues/api/queues'))).status).toBe(401);
  });

  it('refuses cross-site writes (Origin, Sec-Fetch-Site) with a session, Basic auth or a key; same-origin and scripts pass', async () => {
    const token = cookieOf(await request(stack.app).post('/admin/login').type('form').send({ key: ADMIN_KEY, next: '/admin' }))!;
    const writes = () => [
      request(stack.app).post('/admin/api/jobs/retry-failed').set('Cookie', `mnemo_admin=${token}`),
      request(stack.app).delete('/admin/api/jobs/some-job').auth('ops', ADMIN_KEY),
      request(stack.app).put('/admin/queues/api/queues/ingest/pause').set('X-API-Key', ADMIN_KEY),
      request(stack.app).post('/admin/logout').set('Cookie', `mnemo_admin=${token}`),
      request(stack.app).post('/admin/login').type('form').send({ key: ADMIN_KEY, next: '/admin' }),
    ];
    for (const call of writes()) {
      const res = await call.set('Origin', 'https://evil.example');
      expect({ path: res.req.path, status: res.status, code: res.body?.error?.code }).toEqual({ path: res.req.path, status: 403, code: 'FORBIDDEN' });
    }
    for (const call of writes()) {
      const res = await call.set('Sec-Fetch-Site', 'cross-site');
      expect({ path: res.req.path, status: res.status }).toEqual({ path: res.req.path, status: 403 });
    }
    expect((await request(stack.app).post('/admin/api/jobs/retry-failed').set('Cookie', `mnemo_admin=${token}`).set('Origin', 'null')).status).toBe(403);
    // The dashboard's own page (same origin) and scripts without browser headers still act.
    const same = await request(stack.app).post('/admin/api/jobs/retry-failed').set('Cookie', `mnemo_admin=${token}`).set('Host', 'mnemo.internal:8080').set('Origin', 'http://mnemo.internal:8080').set('Sec-Fetch-Site', 'same-origin');
    expect(same.status).toBe(200);
    expect((await request(stack.app).post('/admin/api/jobs/retry-failed').set('X-API-Key', ADMIN_KEY)).status).toBe(200);
    // Reads stay open to links from elsewhere.
    expect((await request(stack.app).get('/admin/api/overview').set('Cookie', `mnemo_admin=${token}`).set('Sec-Fetch-Site', 'cross-site')).status).toBe(200);
    expect((await request(stack.app).put('/admin/queues/api/queues/ingest/resume').set('X-API-Key', ADMIN_KEY)).status).toBeLessThan(300);
  });

  it('shows the same numbers on the overview, in /metrics and in the job views', async () => {
    const results = [];
    for (const text of ['I live in Oslo and I love skiing.', 'I work at Equinor as a geologist.', 'My daughter Ada is six.']) {
      const res = await post(text);
      expect(res.status).toBe(200);
      results.push(res.body);
    }
    const overview = (await admin('/admin/api/overview')).body;
    expect(overview.completed).toBe(3);
    expect(overview.per_minute.reduce((n: number, m: { completed: number }) => n + m.completed, 0)).toBe(3);
    expect(overview.per_minute.reduce((n: number, m: { enqueued: number }) => n + m.enqueued, 0)).toBe(3);
    const created = results.reduce((n, r) => n + r.memories_created, 0);
    expect(Object.values(overview.memories.by_type).reduce((a, b) => (a as number) + (b as number), 0)).toBe(created);
    const categories = results.flatMap((r) => r.memories.flatMap((m: { categories: string[] }) => m.categories));
    for (const category of new Set(categories)) {
      expect(overview.memories.by_category[category]).toBe(categories.filter((c) => c === category).length);
    }
    expect(overview.stages.store.samples).toBe(3);
    const ingest = overview.queues.find((q: { queue: string }) => q.queue === 'ingest');
    expect(ingest.counts).toMatchObject({ completed: 3, failed: 0, waiting: 0 });

    const job = (await request(stack.app).get(`/v1/jobs/${results[0].job_id}?user_id=ops-user`).set('X-API-Key', SERVICE_KEY)).body;
    const metrics = (await request(stack.app).get('/metrics')).text;
    expect(sample(metrics, 'mnemo_jobs_completed_total')).toBe(3);
    expect(sample(metrics, 'mnemo_queue_jobs', 'queue="ingest",state="completed"')).toBe(3);
    expect(sample(metrics, 'mnemo_stage_duration_seconds_count', 'stage="store"')).toBe(3);
    expect(sample(metrics, 'mnemo_stage_duration_seconds_bucket', 'stage="extract",le="+Inf"')).toBe(3);
    expect(sample(metrics, 'mnemo_memories_created_by_type_total', `type="${job.result.memories[0].type}"`)).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'mnemo_http_requests_total', 'method="POST",route="/v1/memories",status="200"')).toBe(3);
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('lists the live workers of each queue by host and process, and the API answers per minute by status class', async () => {
    const before = (await admin('/admin/api/overview')).body;
    const sum = (o: { http_per_minute: Record<string, number>[] }, cls: string) => o.http_per_minute.reduce((n, m) => n + m[cls]!, 0);
    for (let i = 0; i < 3; i++) expect((await request(stack.app).get('/v1/memories/00000000-0000-4000-8000-000000000000').set('X-API-Key', USER_KEY)).status).toBe(404);
    expect((await request(stack.app).get('/v1/memories').set('X-API-Key', 'an-unknown-key-of-24-chars')).status).toBe(401);
    const after = (await admin('/admin/api/overview')).body;
    // Each overview read is itself a 2xx answer; the four refusals are exactly the new 4xx.
    expect(sum(after, '4xx') - sum(before, '4xx')).toBe(4);
    expect(sum(after, '5xx') - sum(before, '5xx')).toBe(0);
    expect(sum(after, '2xx')).toBeGreaterThan(sum(before, '2xx'));
    expect(after.http_per_minute).toHaveLength(60);

    const ingest = after.workers.find((q: { queue: string }) => q.queue === 'ingest');
    expect(ingest.workers).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: `${os.hostname()}:${process.pid}`, connected_seconds: expect.any(Number) })]),
    );
  });

  it('groups failures by code with the latest reason; retry resumes from the checkpoint; discard removes', async () => {
    const failed = await post(`I grow tomatoes on my balcony. ${poison}`);
    expect(failed.status).toBe(500);
    const jobId = failed.body.error.details.job_id;

    const overview = (await admin('/admin/api/overview')).body;
    expect(overview.failures).toEqual([
      expect.objectContaining({ code: 'PROCESSING_ERROR', jobs: 1, attempts: 1, last_job_id: jobId, last_reason: expect.stringMatching(/categorize stage failed: the categorizer rejected/) }),
    ]);
    const list = (await admin('/admin/api/jobs/failed')).body;
    expect(list).toMatchObject({ total: 1, jobs: [{ job_id: jobId, user_id: 'ops-user', error: { code: 'PROCESSING_ERROR' }, attempts: 1 }] });
    const metrics = (await request(stack.app).get('/metrics')).text;
    expect(sample(metrics, 'mnemo_jobs_failed_total', 'code="PROCESSING_ERROR"')).toBe(1);

    // Job data in Bull Board shows no message text.
    const board = (await admin(`/admin/queues/api/queues/ingest/${jobId}`)).body;
    expect(JSON.stringify(board)).not.toContain('tomatoes');
    expect(JSON.stringify(board)).toMatch(/redacted: \d+ chars/);

    expect((await request(stack.app).post('/admin/api/jobs/not-a-job/retry').set('X-API-Key', ADMIN_KEY)).status).toBe(404);
    poison = 'NOTHING-FAILS-NOW';
    const retried = await request(stack.app).post(`/admin/api/jobs/${jobId}/retry`).set('X-API-Key', ADMIN_KEY);
    expect(retried.status).toBe(200);
    let view;
    for (let i = 0; i < 100; i++) {
      view = (await request(stack.app).get(`/v1/jobs/${jobId}?user_id=ops-user`).set('X-API-Key', SERVICE_KEY)).body;
      if (view.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view.status).toBe('completed');
    expect(view.result.resumed_stages).toEqual(['analyze', 'extract']);
    expect(view.result.memories_created).toBeGreaterThanOrEqual(1);

    // A retry of a job that is not failed, and discarding.
    expect((await request(stack.app).post(`/admin/api/jobs/${jobId}/retry`).set('X-API-Key', ADMIN_KEY)).status).toBe(400);
    expect((await request(stack.app).delete(`/admin/api/jobs/${jobId}`).set('X-API-Key', ADMIN_KEY)).status).toBe(200);
    expect((await request(stack.app).get(`/v1/jobs/${jobId}?user_id=ops-user`).set('X-API-Key', SERVICE_KEY)).status).toBe(404);
  });
});

describe('read-only dashboard', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_ADMIN_READ_ONLY: 'true' });
  });
  afterAll(() => stack.close());

  it('shows but refuses every action', async () => {
    expect((await request(stack.app).get('/admin/api/jobs/stats').set('X-API-Key', ADMIN_KEY)).status).toBe(200);
    for (const call of [
      request(stack.app).post('/admin/api/jobs/some-job/retry'),
      request(stack.app).post('/admin/api/jobs/retry-failed'),
      request(stack.app).delete('/admin/api/jobs/some-job'),
    ]) {
      const res = await call.set('X-API-Key', ADMIN_KEY);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/read-only/);
    }
    const queues = (await request(stack.app).get('/admin/queues/api/queues').set('X-API-Key', ADMIN_KEY)).body;
    expect(queues.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
  });

  it('shows in Bull Board only the queues this configuration uses: no idle llm-batch in synchronous mode', async () => {
    const queues = (await request(stack.app).get('/admin/queues/api/queues').set('X-API-Key', ADMIN_KEY)).body;
    expect(queues.queues.map((q: { name: string }) => q.name).sort()).toEqual(['ingest', 'profile', 'webhooks']);
  });
});

describe('Bull Board in batch mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_EXTRACTOR: 'claude', ANTHROPIC_API_KEY: 'sk-ant-test-not-used', MNEMO_LLM_MODE: 'batch' });
  });
  afterAll(() => stack.close());

  it('shows the llm-batch queue too', async () => {
    const queues = (await request(stack.app).get('/admin/queues/api/queues').set('X-API-Key', ADMIN_KEY)).body;
    expect(queues.queues.map((q: { name: string }) => q.name).sort()).toEqual(['ingest', 'llm-batch', 'profile', 'webhooks']);
  });
});
