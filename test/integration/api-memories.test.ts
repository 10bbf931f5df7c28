import request from 'supertest';
import { MnemoError } from '@mnemo/core';
import { ingestStages, type Stage } from '@mnemo/pipeline';
import { mentions, stagesFailingAt } from '../support/faulty-stages';
import { testRedisCluster } from '../support/redis';
import { MEMSYNC_EXAMPLE, OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

const post = (stack: Stack, body: unknown, key = USER_KEY, path = '/v1/memories') =>
  request(stack.app).post(path).set('X-API-Key', key).send(body as object);

/** Polls GET /v1/jobs/:id until the job leaves waiting/active. */
async function settled(stack: Stack, jobId: string, key = USER_KEY) {
  for (let i = 0; i < 200; i++) {
    const res = await request(stack.app).get(`/v1/jobs/${jobId}`).set('X-API-Key', key);
    if (['completed', 'failed'].includes(res.body.status)) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not settle`);
}

describe('POST /v1/memories with a worker', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  it('waits for the job and answers in MemSync form', async () => {
    const res = await post(stack, MEMSYNC_EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, job_id: expect.any(String) });
    expect(res.body.memories_created).toBeGreaterThanOrEqual(2);
    expect(res.body.categories_detected).toContain('career');
    expect(res.body.processing_time).toMatch(/^\d+\.\d+s$/);
    expect(res.body.memories[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      action: 'created',
      memory: expect.stringMatching(/^User /),
      categories: expect.arrayContaining(['career']),
      type: expect.stringMatching(/^(semantic|episodic)$/),
      created_at: expect.any(String),
    });

    const job = await request(stack.app).get(`/v1/jobs/${res.body.job_id}`).set('X-API-Key', USER_KEY);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ status: 'completed', stage: 'done', attempts: 1, error: null });
    expect(Object.keys(job.body.stage_ms)).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed', 'store']);
    expect(job.body.result.memories_created).toBe(res.body.memories_created);
  });

  it('processes the same conversation once, however often it is posted', async () => {
    const body = { ...MEMSYNC_EXAMPLE, thread_id: 'dup-thread' };
    const first = await post(stack, body);
    const second = await post(stack, body);
    expect(second.status).toBe(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    // Nothing happened the second time, and the answer says so instead of repeating the first one's counts.
    expect(first.body.duplicate).toBe(false);
    expect(second.body).toMatchObject({ duplicate: true, memories_created: 0, memories_merged: 0, memories: [] });
  });

  it('uses the Idempotency-Key header as the job identity', async () => {
    const a = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'ik-1' }).set('Idempotency-Key', 'req-42');
    const b = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'ik-1' }).set('Idempotency-Key', 'req-42');
    expect(a.body.job_id).toMatch(/^ik-/);
    expect(b.body.job_id).toBe(a.body.job_id);
  });

  // Issue 13, Medium 7: "I live in Lisbon \ud800 …" answered 500 after 5 retries (URI malformed, from the UUIDv5 of the text).
  it('stores a conversation with a lone surrogate in its text or its user id instead of losing it', async () => {
    const text = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'surrogate', messages: [{ role: 'user', content: 'I live in Lisbon \ud800 and I like tea.' }] });
    expect(text.status).toBe(200);
    expect(text.body.memories_created).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(text.body.memories)).not.toMatch(/\\ud800/i);

    const id = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'surrogate-user', user_id: 'eve\ud800' }, SERVICE_KEY);
    expect(id.status).toBe(200);
    expect(await stack.store.count('eve\uFFFD')).toBeGreaterThanOrEqual(1);
  });

  it('answers 202 at once with ?async=true or Prefer: respond-async, and the job completes', async () => {
    const res = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'async-1' }, USER_KEY, '/v1/memories?async=true');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      success: true,
      job_id: expect.any(String),
      status: expect.any(String),
      status_url: `/v1/jobs/${res.body.job_id}`,
    });
    expect(res.headers.location).toBe(res.body.status_url);
    expect((await settled(stack, res.body.job_id)).body.status).toBe('completed');

    // A new job is reported in the state it entered; the same conversation again reports where its job is now.
    const fresh = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'async-3' }, USER_KEY, '/v1/memories?async=true');
    expect(fresh.body.status).toBe('waiting');
    const again = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'async-1' }, USER_KEY, '/v1/memories?async=true');
    expect(again.body).toMatchObject({ job_id: res.body.job_id, status: 'completed' });

    const preferred = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'async-2' }).set('Prefer', 'respond-async');
    expect(preferred.status).toBe(202);
    expect(preferred.headers['preference-applied']).toBe('respond-async');
  });

  it('lets a service key act for a named user, and refuses that to a user key', async () => {
    const body = { ...MEMSYNC_EXAMPLE, thread_id: 'svc-1', user_id: 'carol' };
    const asService = await post(stack, body, SERVICE_KEY);
    expect(asService.status).toBe(200);
    expect((await request(stack.app).get(`/v1/jobs/${asService.body.job_id}?user_id=carol`).set('X-API-Key', SERVICE_KEY)).status).toBe(200);
    expect(await stack.store.count('carol')).toBeGreaterThanOrEqual(2);

    const asUser = await post(stack, body, USER_KEY);
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.code).toBe('FORBIDDEN');
  });

  it("hides another user's job as if it did not exist", async () => {
    const res = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'private' });
    const other = await request(stack.app).get(`/v1/jobs/${res.body.job_id}`).set('X-API-Key', OTHER_KEY);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    const missing = await request(stack.app).get('/v1/jobs/ch-doesnotexist').set('X-API-Key', USER_KEY);
    expect(missing.status).toBe(404);
    const malformed = await request(stack.app).get('/v1/jobs/bad:id').set('X-API-Key', USER_KEY);
    expect(malformed.status).toBe(400);
  });
});

describe('POST /v1/memories refuses bad requests clearly', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const expectError = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({
      status: 'error',
      error: expect.objectContaining({ code, message: expect.any(String) }),
      timestamp: expect.any(String),
    });
  };

  it('401 without a key, with an unknown key, and accepts a Bearer token', async () => {
    expectError(await request(stack.app).post('/v1/memories').send(MEMSYNC_EXAMPLE), 401, 'AUTHENTICATION_ERROR');
    const unknown = await post(stack, MEMSYNC_EXAMPLE, 'nope');
    expectError(unknown, 401, 'AUTHENTICATION_ERROR');
    // A key made under another prefix is the usual unknown key: the answer names the one in use.
    expect(unknown.body.error.message).toBe(`Invalid or revoked API key (this server looks keys up under MNEMO_QUEUE_PREFIX "${stack.config.MNEMO_QUEUE_PREFIX}")`);
    const bearer = await request(stack.app)
      .post('/v1/memories?async=true')
      .set('Authorization', `Bearer ${USER_KEY}`)
      .send(MEMSYNC_EXAMPLE);
    expect(bearer.status).toBe(202);
  });

  it('401 for a revoked key', async () => {
    const { key, stored } = await stack.keys.create('dave', 'user');
    expect((await post(stack, MEMSYNC_EXAMPLE, key, '/v1/memories?async=true')).status).toBe(202);
    await stack.keys.revoke(stored.key_id);
    expectError(await post(stack, MEMSYNC_EXAMPLE, key), 401, 'AUTHENTICATION_ERROR');
  });

  it('400 naming the missing or wrong field', async () => {
    const { agent_id: _omit, ...noAgent } = MEMSYNC_EXAMPLE;
    const missing = await post(stack, noAgent);
    expectError(missing, 400, 'VALIDATION_ERROR');
    expect(missing.body.error.details).toEqual([{ field: 'agent_id', message: expect.any(String) }]);
    expect(missing.body.error.message).toMatch(/agent_id/);

    const badRole = await post(stack, {
      ...MEMSYNC_EXAMPLE,
      messages: [...MEMSYNC_EXAMPLE.messages.slice(0, 2), { role: 'system', content: 'x' }],
    });
    expectError(badRole, 400, 'VALIDATION_ERROR');
    expect(badRole.body.error.details[0].field).toBe('messages[2].role');

    const empty = await post(stack, { ...MEMSYNC_EXAMPLE, messages: [] });
    expectError(empty, 400, 'VALIDATION_ERROR');
    expect(empty.body.error.details[0].field).toBe('messages');

    expectError(await post(stack, [1, 2, 3]), 400, 'VALIDATION_ERROR');
    expectError(await post(stack, { ...MEMSYNC_EXAMPLE, metadata: { timestamp: 'yesterday' } }), 400, 'VALIDATION_ERROR');
  });

  it('400 for malformed JSON, 415 for another content type, 413 for a 5 MB body', async () => {
    const malformed = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', USER_KEY)
      .set('Content-Type', 'application/json')
      .send('{"messages": [');
    expectError(malformed, 400, 'VALIDATION_ERROR');
    expect(malformed.body.error.message).toMatch(/not valid JSON/);

    const text = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).set('Content-Type', 'text/plain').send('hi');
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');

    const huge = JSON.stringify({ ...MEMSYNC_EXAMPLE, messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] });
    const big = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', USER_KEY)
      .set('Content-Type', 'application/json')
      .send(huge);
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('400 for an over-long Idempotency-Key', async () => {
    expectError(await post(stack, MEMSYNC_EXAMPLE).set('Idempotency-Key', 'k'.repeat(300)), 400, 'VALIDATION_ERROR');
  });

  it('404 in the error shape for an unknown route', async () => {
    expectError(await request(stack.app).get('/v1/nothing').set('X-API-Key', USER_KEY), 404, 'NOT_FOUND');
  });

  it('answers 202 when the job outlasts the wait bound (no worker running)', async () => {
    const bounded = await startStack({ MNEMO_SYNC_WAIT_MS: '200' });
    try {
      const res = await post(bounded, MEMSYNC_EXAMPLE);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('waiting');
      // Nothing accepted is lost: a worker started later completes it.
      await bounded.startWorker();
      expect((await settled(bounded, res.body.job_id)).body.status).toBe('completed');
    } finally {
      await bounded.close();
    }
  });
});

describe('pipeline failures', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_JOB_ATTEMPTS: '3' });
  });
  afterAll(() => stack.close());

  it('fails the job with PROCESSING_ERROR and the reason when extraction fails, without retrying', async () => {
    let calls = 0;
    const worker = await stack.startWorker((deps) =>
      ingestStages({
        ...deps,
        extractor: {
          extract: async () => {
            calls++;
            throw new MnemoError('PROCESSING_ERROR', 'model answer did not match the schema');
          },
        },
      }),
    );
    try {
      const res = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'fail-extract' });
      expect(res.status).toBe(500);
      expect(res.body.error).toEqual({
        code: 'PROCESSING_ERROR',
        message: 'extract stage failed: model answer did not match the schema',
        details: { job_id: expect.any(String) },
      });
      const job = await request(stack.app).get(`/v1/jobs/${res.body.error.details.job_id}`).set('X-API-Key', USER_KEY);
      expect(job.body).toMatchObject({ status: 'failed', result: null, error: { code: 'PROCESSING_ERROR' } });
      expect(calls).toBe(1);
      expect(await stack.store.count('alice')).toBe(0);
    } finally {
      await worker.close();
    }
  });

  // Issue 13, Medium 8: re-posting the body of a failed job returned the old failure for 7 days.
  it('runs a failed conversation again when it is submitted again, resuming from its checkpoint', async () => {
    let extractions = 0;
    let storeCalls = 0;
    const worker = await stack.startWorker((deps) =>
      ingestStages(deps).map((stage): Stage => {
        if (stage.name === 'extract') return { ...stage, run: (ctx) => (extractions++, stage.run(ctx)) };
        if (stage.name !== 'store') return stage;
        // The first run fails for good (a MnemoError is final); a later one works.
        return { ...stage, run: async (ctx) => (++storeCalls === 1 ? Promise.reject(new MnemoError('PROCESSING_ERROR', 'store refused the write')) : stage.run(ctx)) };
      }),
    );
    try {
      const body = { ...MEMSYNC_EXAMPLE, thread_id: 'fail-then-resubmit', messages: [{ role: 'user', content: 'I grow tomatoes on my balcony. I work as a nurse in Porto.' }] };
      const failed = await post(stack, body);
      expect(failed.status).toBe(500);
      const jobId = failed.body.error.details.job_id;

      const again = await post(stack, body);
      expect(again.status).toBe(200);
      expect(again.body.job_id).toBe(jobId);
      expect(again.body.memories_created).toBeGreaterThanOrEqual(1);
      const job = await request(stack.app).get(`/v1/jobs/${jobId}`).set('X-API-Key', USER_KEY);
      expect(job.body).toMatchObject({ status: 'completed', attempts: 1, error: null });
      // The checkpoint of the failed run was valid (same conversation): nothing before the store stage ran again.
      expect(job.body.result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
      expect(extractions).toBe(1);
    } finally {
      await worker.close();
    }
  });

  it('puts a failed batch item back in the queue when the batch is sent again', async () => {
    let failures = 0;
    const worker = await stack.startWorker(
      stagesFailingAt('extract', (ctx) => (mentions(ctx, 'padel') && failures++ === 0 ? new MnemoError('PROCESSING_ERROR', 'model answer did not match the schema') : null)),
    );
    try {
      const item = { ...MEMSYNC_EXAMPLE, thread_id: 'batch-resubmit', messages: [{ role: 'user', content: 'I play padel every Sunday.' }], idempotency_key: 'import:x:1' };
      const send = () => request(stack.app).post('/v1/memories/batch').set('X-API-Key', USER_KEY).send({ conversations: [item] });
      const first = await send();
      const jobId = first.body.jobs[0].job_id;
      expect((await stack.ingest.waitFor((await stack.ingest.queue.getJob(jobId))!, 20_000)).kind).toBe('failed');

      const again = await send();
      expect(again.body).toMatchObject({ accepted: 1, duplicates: 0, jobs: [{ index: 0, job_id: jobId, duplicate: false }] });
      expect((await stack.ingest.waitFor((await stack.ingest.queue.getJob(jobId))!, 20_000)).kind).toBe('completed');
      expect(failures).toBe(2);
    } finally {
      await worker.close();
    }
  });

  it('retries a store outage from the store stage, without extracting again', async () => {
    let extractions = 0;
    let storeCalls = 0;
    const worker = await stack.startWorker((deps) => {
      const stages = ingestStages(deps);
      return stages.map((stage): Stage => {
        if (stage.name === 'extract') return { ...stage, run: (ctx) => (extractions++, stage.run(ctx)) };
        if (stage.name === 'store') {
          return {
            ...stage,
            run: async (ctx) => {
              if (++storeCalls === 1) throw new Error('SQLITE_BUSY: database is locked');
              return stage.run(ctx);
            },
          };
        }
        return stage;
      });
    });
    try {
      const res = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'store-outage' });
      expect(res.status).toBe(200);
      expect(res.body.memories_created).toBeGreaterThanOrEqual(2);
      expect(extractions).toBe(1);
      expect(storeCalls).toBe(2);
      const job = await request(stack.app).get(`/v1/jobs/${res.body.job_id}`).set('X-API-Key', USER_KEY);
      expect(job.body.attempts).toBe(2);
      expect(job.body.result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
    } finally {
      await worker.close();
    }
  });

  it('an attempt that stored its memories and then died completes on retry with those memories, not as a duplicate', async () => {
    let storeCalls = 0;
    const worker = await stack.startWorker((deps) =>
      ingestStages(deps).map((stage): Stage =>
        stage.name !== 'store'
          ? stage
          : {
              ...stage,
              // The write lands; the attempt is lost before the job can complete (a worker killed right after).
              run: async (ctx) => {
                const out = await stage.run(ctx);
                if (++storeCalls === 1) throw new Error('connection lost after the write');
                return out;
              },
            },
      ),
    );
    try {
      const content = 'I keep bees on the roof of my flat in Lyon. I teach chemistry at a lycée.';
      const res = await post(stack, { ...MEMSYNC_EXAMPLE, thread_id: 'stored-then-lost', messages: [{ role: 'user', content }] });
      expect(res.status).toBe(200);
      expect(storeCalls).toBe(2);
      expect(res.body).toMatchObject({ duplicate: false, memories_merged: 0 });
      expect(res.body.memories_created).toBeGreaterThanOrEqual(2);
      expect(res.body.memories).toHaveLength(res.body.memories_created);
      const job = await request(stack.app).get(`/v1/jobs/${res.body.job_id}`).set('X-API-Key', USER_KEY);
      expect(job.body).toMatchObject({ attempts: 2, result: { duplicate: false, memories_created: res.body.memories_created } });
      // Stored once: what the retry reports is what the first attempt wrote.
      const listed = await request(stack.app).get('/v1/memories?page_size=100').set('X-API-Key', USER_KEY);
      const fromJob = listed.body.data.filter((m: { provenance: { job_id: string }[] }) => m.provenance.some((p) => p.job_id === res.body.job_id));
      expect(fromJob.map((m: { id: string }) => m.id).sort()).toEqual(res.body.memories.map((m: { id: string }) => m.id).sort());
    } finally {
      await worker.close();
    }
  });
});

describe('worker input checks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  it('fails a job whose payload does not match the schema with VALIDATION_ERROR, without retrying', async () => {
    const job = await stack.ingest.queue.add('conversation', { user_id: 'alice', nonsense: true } as never, { jobId: 'ch-bad-payload' });
    const res = await settled(stack, job.id!);
    expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'VALIDATION_ERROR' } });
    expect(res.body.error.message).toMatch(/invalid job payload/);
  });
});

describe('when Redis is unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    // On the cluster suite the seed nodes are what must be unreachable.
    stack = await startStack({ REDIS_URL: 'redis://127.0.0.1:1', ...(testRedisCluster() ? { REDIS_CLUSTER_NODES: '127.0.0.1:1' } : {}) });
  });
  afterAll(() => stack.close());

  it('answers 503 quickly instead of hanging, and readiness says why', async () => {
    const started = Date.now();
    const res = await post(stack, MEMSYNC_EXAMPLE);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(3_000);

    const ready = await request(stack.app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis.ok).toBe(false);
    expect((await request(stack.app).get('/healthz')).status).toBe(200);
  });
});
