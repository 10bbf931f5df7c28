import request from 'supertest';
import { buildTaxonomy } from '@mnemo/core';
import { eventually } from '../support/eventually';
import { stagesFailingAt } from '../support/faulty-stages';
import { extractionSchema, toolInputSchema } from '../../packages/pipeline/src/llm/extraction-schema';
import { FakeAnthropic } from '../support/fake-anthropic';
import { MEMSYNC_EXAMPLE, SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(20_000);

const GOOD_ANSWER = {
  facts: [
    {
      memory: 'User was promoted to Senior Software Engineer at Google',
      message_ids: ['0'],
      type: 'episodic',
      event_time: '2024-03-20',
      categories: ['career'],
    },
    {
      memory: 'User leads a team of 5 engineers working on recommendation systems',
      message_ids: ['2'],
      type: 'semantic',
      event_time: null,
      categories: ['career'],
    },
  ],
};

describe('Claude extractor through @anthropic-ai/sdk against a loopback Messages API', () => {
  const fake = new FakeAnthropic();
  let stack: Stack;
  let storeFailures = 0;

  beforeAll(async () => {
    await fake.start();
    stack = await startStack({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url, MNEMO_JOB_ATTEMPTS: '3' });
    // The real stages, with a store stage that can be made to fail on demand.
    await stack.startWorker(stagesFailingAt('store', () => (storeFailures-- > 0 ? new Error('store unavailable') : null)));
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.script.length = 0;
    storeFailures = 0;
  });

  // Each test acts for its own user (service key), so its facts are new to that user.
  let n = 0;
  let user = '';
  const post = () => {
    user = `claude-user-${++n}`;
    return request(stack.app).post('/v1/memories').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: user });
  };
  const job = async (id: string) => (await request(stack.app).get(`/v1/jobs/${id}?user_id=${user}`).set('X-API-Key', SERVICE_KEY)).body;

  it('sends one forced tool call with the zod-derived schema, a cache breakpoint, then the conversation', async () => {
    fake.script.push({ toolInput: GOOD_ANSWER });
    expect((await post()).status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    const { headers, body } = fake.requests[0]!;
    expect(headers['x-api-key'] ?? headers.authorization?.replace(/^Bearer /, '')).toBe('sk-ant-test');
    expect(body.model).toBe('claude-haiku-4-5');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'record_memories' });
    const names = buildTaxonomy([]).map((c) => c.name) as [string, ...string[]];
    expect(body.tools).toEqual([expect.objectContaining({ name: 'record_memories', input_schema: toolInputSchema(extractionSchema(names)) })]);
    expect(body.system.at(-1).cache_control).toEqual({ type: 'ephemeral' });
    // The cached part is the same for every conversation: none of this one is in it.
    expect(body.system[0].text).not.toMatch(/I just got promoted/);
    expect(body.messages).toEqual([{ role: 'user', content: expect.stringContaining('[0] user: I just got promoted') }]);
    expect(body.messages[0].content).toMatch(/^Reference time: 2024-03-20T10:00:00.000Z/);
  });

  it("stores the model's facts with its types, event times and categories, and accounts for the tokens", async () => {
    fake.script.push({ toolInput: GOOD_ANSWER });
    const res = await post();
    expect(res.body.memories.map((m: { memory: string; type: string }) => [m.memory, m.type])).toEqual([
      ['User was promoted to Senior Software Engineer at Google', 'episodic'],
      ['User leads a team of 5 engineers working on recommendation systems', 'semantic'],
    ]);
    expect(res.body.categories_detected).toEqual(['career']);
    const stored = await request(stack.app).get(`/v1/memories/${res.body.memories[0].id}?user_id=${user}`).set('X-API-Key', SERVICE_KEY);
    expect(stored.body).toMatchObject({ event_time: '2024-03-20T00:00:00.000Z', provenance: [{ message_ids: ['0'], thread_id: 'conversation-2024-001' }] });
    expect((await job(res.body.job_id)).result.llm).toEqual({
      model: 'claude-haiku-4-5',
      calls: 1,
      input_tokens: 350,
      output_tokens: 120,
      cache_creation_input_tokens: 1100,
      cache_read_input_tokens: 0,
      llm_ms: expect.any(Number),
    });
  });

  it('repairs an invalid answer once, telling the model what was wrong', async () => {
    const bad = { facts: [{ ...GOOD_ANSWER.facts[0], message_ids: ['9'], categories: ['careers'] }] };
    fake.script.push({ toolInput: bad }, { toolInput: GOOD_ANSWER });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.body.memories_created).toBe(2);
    expect(fake.requests).toHaveLength(2);
    const repair = fake.requests[1]!.body.messages;
    expect(repair).toHaveLength(3);
    expect(repair[2].content[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true });
    expect(repair[2].content[0].content).toMatch(/categories/);
  });

  it('fails with PROCESSING_ERROR after one failed repair, storing nothing', async () => {
    fake.script.push({ toolInput: { facts: 'none' } }, { toolInput: GOOD_ANSWER, stopReason: 'max_tokens' });
    const res = await post();
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('PROCESSING_ERROR');
    expect(res.body.error.message).toMatch(/invalid after one repair: the answer was cut off at max_tokens/);
    expect(fake.requests).toHaveLength(2);
    expect(await stack.store.count(user)).toBe(0);
    expect(await job(res.body.error.details.job_id)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('backs off on 429 for the retry-after without spending an attempt', async () => {
    fake.script.push({ status: 429, errorType: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '1' } }, { toolInput: GOOD_ANSWER });
    const started = Date.now();
    const res = await post();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requests).toHaveLength(2);
    expect(await job(res.body.job_id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('retries a model call that times out, then stores the answer', async () => {
    const slow = await startStack({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, MNEMO_CLAUDE_TIMEOUT_MS: '1000' });
    try {
      await slow.startWorker();
      fake.delays.push(1_500); // the first call outlasts the 1 s timeout; the retry is answered at once
      fake.script.push({ toolInput: GOOD_ANSWER }, { toolInput: GOOD_ANSWER });
      const res = await request(slow.app).post('/v1/memories').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'slow-user' });
      expect(res.status).toBe(200);
      expect(res.body.memories_created).toBe(2);
      const view = (await request(slow.app).get(`/v1/jobs/${res.body.job_id}?user_id=slow-user`).set('X-API-Key', SERVICE_KEY)).body;
      expect(view).toMatchObject({ status: 'completed', attempts: 2 });
    } finally {
      fake.delays.length = 0;
      await slow.close();
    }
  });

  it('fails at once on a 400, with the provider message', async () => {
    fake.script.push({ status: 400, errorType: 'invalid_request_error', message: 'prompt is too long' });
    const res = await post();
    expect(res.status).toBe(500);
    expect(res.body.error.message).toMatch(/Claude refused the request \(400\).*prompt is too long/);
    expect(fake.requests).toHaveLength(1);
    expect(await job(res.body.error.details.job_id)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('retries a store outage without calling the model again', async () => {
    fake.script.push({ toolInput: GOOD_ANSWER });
    storeFailures = 1;
    const res = await post();
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    const view = await job(res.body.job_id);
    expect(view).toMatchObject({ status: 'completed', attempts: 2 });
    expect(view.result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
    expect(view.result.llm.calls).toBe(1);
  });

  /**
   * The fleet totals once every profile rebuild has run: a rebuild is
   * debounced and writes its bio with a model call of its own, so on a busy
   * machine one requested by an earlier test can land inside a test's window.
   */
  const settledUsage = async () => {
    await eventually(async () => {
      const counts = await stack.profiles.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      return Object.values(counts).every((c) => c === 0);
    });
    return { totals: (await stack.usageTotals.read(1)).total, bio: fake.bioRequests.length, reconcile: fake.reconcileRequests.length };
  };

  it("adds every job's model usage to the fleet totals, once", async () => {
    const before = await settledUsage();
    fake.script.push({ toolInput: GOOD_ANSWER });
    storeFailures = 1; // the retried attempt resumes after extract and must not count it again
    expect((await post()).status).toBe(200);
    // Its profile rebuild (and the bio call) follows the job: wait for it too.
    await eventually(() => expect(fake.bioRequests.length).toBeGreaterThan(before.bio));
    const after = await settledUsage();
    const calls = 1 + (after.bio - before.bio) + (after.reconcile - before.reconcile);
    expect(after.totals.jobs - before.totals.jobs).toBe(1);
    expect(after.totals.calls - before.totals.calls).toBe(calls);
    expect(after.totals.input_tokens - before.totals.input_tokens).toBe(350 * calls);
    expect((await stack.usageTotals.read(1)).by_hour.at(-1)!.calls).toBeGreaterThanOrEqual(1);
  });

  it("counts a profile rebuild's bio call as a model call, not as a job (issue 13)", async () => {
    const before = await settledUsage();
    fake.script.push({ toolInput: GOOD_ANSWER });
    expect((await post()).status).toBe(200);
    await eventually(() => expect(fake.bioRequests.length).toBe(before.bio + 1));
    const after = await settledUsage();
    expect(after.totals.jobs - before.totals.jobs).toBe(1);
    expect(after.totals.calls - before.totals.calls).toBe(2);
  });

  it("adds a job's reconciliation calls to the totals, without counting the job twice (issue 13)", async () => {
    fake.script.push({ toolInput: GOOD_ANSWER });
    expect((await post()).status).toBe(200);
    const before = await settledUsage();
    // The same user tells the same facts in a new thread: the candidates go to the model.
    fake.script.push({ toolInput: GOOD_ANSWER });
    const again = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ ...MEMSYNC_EXAMPLE, thread_id: 'another-thread', user_id: user });
    expect(again.status).toBe(200);
    const after = await settledUsage();
    expect(after.reconcile - before.reconcile).toBe(1);
    expect(after.totals.jobs - before.totals.jobs).toBe(1);
    expect(after.totals.calls - before.totals.calls).toBe(2 + (after.bio - before.bio));
  });
});

describe('Claude extractor on a long conversation', () => {
  const fake = new FakeAnthropic();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('makes one call per chunk, each with only its own messages, and sums the usage', async () => {
    const { ClaudeExtractor, analyze } = await import('@mnemo/pipeline');
    const { conversationInput } = await import('../../packages/pipeline/src/conversation-input');
    const extractor = new ClaudeExtractor({ apiKey: 'k', baseURL: fake.url, model: 'claude-haiku-4-5', maxTokens: 1024, timeoutMs: 5_000, taxonomy: buildTaxonomy([]) });
    const paragraph = (topic: string) => `I want to tell you about ${topic}. ${'Some detail. '.repeat(60)}`;
    const analysis = analyze(conversationInput([['user', paragraph('my job')], ['user', paragraph('my family')], ['user', paragraph('my trip')]]), 250);
    expect(analysis.chunks).toHaveLength(3);
    for (const id of ['0', '1', '2']) {
      fake.script.push({ toolInput: { facts: [{ memory: `User told fact ${id}`, message_ids: [id], type: 'semantic', event_time: null, categories: ['identity'] }] } });
    }
    const { facts, llm } = await extractor.extract(analysis);
    expect(facts.map((f) => f.messageIds)).toEqual([['0'], ['1'], ['2']]);
    expect(fake.requests.map((r) => (r.body.messages[0].content.match(/^\[\d+\]/gm) ?? []).join(','))).toEqual(['[0]', '[1]', '[2]']);
    expect(llm).toMatchObject({ calls: 3, input_tokens: 1050, output_tokens: 360, cache_creation_input_tokens: 1100, cache_read_input_tokens: 2200 });
  });
});

describe('profiles with Claude', () => {
  const fake = new FakeAnthropic();
  let stack: Stack;
  beforeAll(async () => {
    await fake.start();
    stack = await startStack({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: fake.url, MNEMO_PROFILE_DEBOUNCE_MS: '100' });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  const waitForBio = async (user: string, source: 'model' | 'assembled') => {
    for (let i = 0; i < 100; i++) {
      const cached = await stack.profileCache.get(user);
      if (cached?.bio_source === source) return cached;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${source} bio for ${user}`);
  };

  it('writes the bio with the model from the strongest memories, leaving private ones out', async () => {
    fake.script.push({
      toolInput: {
        facts: [
          ...GOOD_ANSWER.facts,
          { memory: 'User is being treated for depression', message_ids: ['2'], type: 'semantic', event_time: null, categories: ['health', 'private'] },
        ],
      },
    });
    fake.bioScript.push({ toolInput: { bio: 'A senior engineer at Google who leads a team of five.' } });
    const res = await request(stack.app).post('/v1/memories').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'bio-user' });
    expect(res.body.memories_created).toBe(3);
    const profile = await waitForBio('bio-user', 'model');
    expect(profile.user_bio).toBe('A senior engineer at Google who leads a team of five.');
    const sent = fake.bioRequests.at(-1)!.body;
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'write_bio' });
    expect(sent.messages[0].content).toMatch(/promoted to Senior Software Engineer/);
    expect(sent.messages[0].content).not.toMatch(/depression/);
    const served = await request(stack.app).get('/v1/users/profile?user_id=bio-user').set('X-API-Key', SERVICE_KEY);
    expect(served.body).toMatchObject({ user_bio: profile.user_bio, bio_source: 'model' });
  });

  it('falls back to the assembled bio when the model fails', async () => {
    fake.script.push({ toolInput: GOOD_ANSWER });
    fake.bioScript.push({ status: 400, errorType: 'invalid_request_error', message: 'nope' });
    await request(stack.app).post('/v1/memories').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'bio-user-2' });
    const profile = await waitForBio('bio-user-2', 'assembled');
    expect(profile.user_bio).toMatch(/Leads a team of 5 engineers/);
  });
});
