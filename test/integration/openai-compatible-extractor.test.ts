import request from 'supertest';
import { buildTaxonomy } from '@mnemo/core';
import { extractionSchema, toolInputSchema } from '../../packages/pipeline/src/llm/extraction-schema';
import { eventually } from '../support/eventually';
import { FakeOpenAiChat } from '../support/fake-openai-chat';
import { stagesFailingAt } from '../support/faulty-stages';
import { MEMSYNC_EXAMPLE, SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(30_000);

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

const SCHEMA = toolInputSchema(extractionSchema(buildTaxonomy([]).map((c) => c.name) as [string, ...string[]]));

/** One stack on the loopback server: MNEMO_LLM_PROVIDER is the switch, the rest names the server and how to ask it. */
function stackOn(fake: FakeOpenAiChat, env: Record<string, string>) {
  return startStack({
    MNEMO_LLM_PROVIDER: 'openai-compatible',
    MNEMO_LLM_BASE_URL: `${fake.url}/v1`,
    MNEMO_LLM_MODEL: 'qwen2.5:7b-instruct',
    MNEMO_JOB_ATTEMPTS: '3',
    ...env,
  });
}

function poster(stack: () => Stack, prefix: string) {
  let n = 0;
  let user = '';
  return {
    post: (body: object = {}) => {
      user = `${prefix}-${++n}`;
      return request(stack().app)
        .post('/v1/memories')
        .set('X-API-Key', SERVICE_KEY)
        .send({ ...MEMSYNC_EXAMPLE, user_id: user, ...body });
    },
    user: () => user,
    job: async (id: string) => (await request(stack().app).get(`/v1/jobs/${id}?user_id=${user}`).set('X-API-Key', SERVICE_KEY)).body,
  };
}

describe.each([
  ['json_schema', (body: any) => expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'record_memories', schema: SCHEMA } })],
  [
    'tools',
    (body: any) => {
      expect(body.tools).toEqual([{ type: 'function', function: expect.objectContaining({ name: 'record_memories', parameters: SCHEMA }) }]);
      expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'record_memories' } });
    },
  ],
  [
    'json',
    (body: any) => {
      expect(body.response_format).toEqual({ type: 'json_object' });
      // The server does not enforce the schema, so the prompt carries it.
      expect(body.messages[0].content).toContain(JSON.stringify(SCHEMA));
    },
  ],
] as const)('extraction through an OpenAI-compatible server, output mode %s', (mode, asksInMode) => {
  const fake = new FakeOpenAiChat();
  let stack: Stack;
  const { post, user, job } = poster(() => stack, `oai-${mode}`);

  beforeAll(async () => {
    await fake.start();
    stack = await stackOn(fake, { MNEMO_LLM_OUTPUT: mode, MNEMO_LLM_API_KEY: 'sk-local' });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('asks in that mode, stores the answer, accounts for it, and search finds it', async () => {
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    const res = await post();
    expect(res.status).toBe(200);
    expect(fake.requests.extract).toHaveLength(1);
    const { headers, body } = fake.requests.extract[0]!;
    expect(headers.authorization).toBe('Bearer sk-local');
    expect(body).toMatchObject({ model: 'qwen2.5:7b-instruct', stream: false, max_tokens: 4096 });
    asksInMode(body);
    expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringMatching(/^You extract long-term memories/) });
    expect(body.messages[1]).toEqual({ role: 'user', content: expect.stringMatching(/^Reference time: 2024-03-20T10:00:00.000Z[\s\S]*\[0\] user: I just got promoted/) });

    expect(res.body.memories.map((m: { memory: string; type: string }) => [m.memory, m.type])).toEqual([
      ['User was promoted to Senior Software Engineer at Google', 'episodic'],
      ['User leads a team of 5 engineers working on recommendation systems', 'semantic'],
    ]);
    expect(res.body.categories_detected).toEqual(['career']);
    expect((await job(res.body.job_id)).result.llm).toEqual({
      model: 'qwen2.5:7b-instruct',
      calls: 1,
      input_tokens: 400,
      output_tokens: 90,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      llm_ms: expect.any(Number),
    });
    const found = await request(stack.app)
      .post('/v1/memories/search')
      .set('X-API-Key', SERVICE_KEY)
      .send({ user_id: user(), query: 'how big is the team the user leads?', limit: 1 });
    expect(found.body.memories.map((m: { memory: string }) => m.memory)).toEqual(['User leads a team of 5 engineers working on recommendation systems']);
  });

  it('repairs an answer that is not JSON once, showing the model what was wrong', async () => {
    fake.scripts.extract.push({ text: 'Sure! Here are the facts: {"facts": [' }, { answer: GOOD_ANSWER });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.body.memories_created).toBe(2);
    expect(fake.requests.extract).toHaveLength(2);
    const repair = fake.requests.extract[1]!.body.messages;
    if (mode === 'tools') {
      expect(repair.slice(2)).toEqual([
        { role: 'assistant', content: null, tool_calls: [expect.objectContaining({ id: expect.any(String), type: 'function' })] },
        { role: 'tool', tool_call_id: repair[2].tool_calls[0].id, content: expect.stringMatching(/^Invalid answer: the answer is not JSON/) },
        { role: 'user', content: 'Call record_memories again with the corrected input.' },
      ]);
    } else {
      expect(repair.slice(2)).toEqual([
        { role: 'assistant', content: 'Sure! Here are the facts: {"facts": [' },
        { role: 'user', content: expect.stringMatching(/^Invalid answer: the answer is not JSON.*Answer again with only the corrected JSON object\.$/) },
      ]);
    }
  });

  it('repairs an answer that breaks the schema, naming the fields', async () => {
    const bad = { facts: [{ ...GOOD_ANSWER.facts[0], message_ids: ['9'], categories: ['careers'] }] };
    fake.scripts.extract.push({ answer: bad }, { answer: GOOD_ANSWER });
    const res = await post();
    expect(res.body.memories_created).toBe(2);
    expect(JSON.stringify(fake.requests.extract[1]!.body.messages.slice(2))).toMatch(/facts\.0\.categories/);
  });

  it('fails with PROCESSING_ERROR when the repaired answer is invalid too, storing nothing', async () => {
    fake.scripts.extract.push({ text: 'not json' }, { answer: { facts: 'none' } });
    const res = await post();
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('PROCESSING_ERROR');
    expect(res.body.error.message).toMatch(/invalid after one repair: facts: /);
    expect(fake.requests.extract).toHaveLength(2);
    expect(await stack.store.count(user())).toBe(0);
    const view = await job(res.body.error.details.job_id);
    expect(view).toMatchObject({ status: 'failed', attempts: 1 });
  });
});

describe('an OpenAI-compatible server under load and failure', () => {
  const fake = new FakeOpenAiChat();
  let stack: Stack;
  let storeFailures = 0;
  const { post, user, job } = poster(() => stack, 'oai-faults');

  beforeAll(async () => {
    await fake.start();
    stack = await stackOn(fake, { MNEMO_LLM_OUTPUT: 'json', MNEMO_PROFILE_DEBOUNCE_MS: '100' });
    await stack.startWorker(stagesFailingAt('store', () => (storeFailures-- > 0 ? new Error('store unavailable') : null)));
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    storeFailures = 0;
  });

  it('backs off on 429 for the Retry-After without spending an attempt', async () => {
    fake.scripts.extract.push({ status: 429, message: 'slow down', headers: { 'retry-after': '1' } }, { answer: GOOD_ANSWER });
    const started = Date.now();
    const res = await post();
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requests.extract).toHaveLength(2);
    expect(await job(res.body.job_id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('backs off on 503 (a busy server) the same way', async () => {
    fake.scripts.extract.push({ status: 503, message: 'server busy, please try again', headers: { 'retry-after': '1' } }, { answer: GOOD_ANSWER });
    const res = await post();
    expect(res.status).toBe(200);
    expect(await job(res.body.job_id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('retries a 500 during extraction; the failed call is not counted', async () => {
    fake.scripts.extract.push({ status: 500, message: 'model crashed' }, { answer: GOOD_ANSWER });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.body.memories_created).toBe(2);
    expect(fake.requests.extract).toHaveLength(2);
    const view = await job(res.body.job_id);
    expect(view).toMatchObject({ status: 'completed', attempts: 2 });
    expect(view.result.llm.calls).toBe(1);
  });

  it('retries a 500 during reconciliation from the checkpoint, without extracting again', async () => {
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    expect((await post()).status).toBe(200);
    const first = user();
    fake.reset();
    // The same facts again: reconciliation asks the model, which fails once.
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    fake.scripts.reconcile.push({ status: 500, message: 'model crashed' });
    const again = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ ...MEMSYNC_EXAMPLE, thread_id: 'another-thread', user_id: first });
    expect(again.status).toBe(200);
    expect(fake.requests.extract).toHaveLength(1);
    expect(fake.requests.reconcile).toHaveLength(2);
    const view = (await request(stack.app).get(`/v1/jobs/${again.body.job_id}?user_id=${first}`).set('X-API-Key', SERVICE_KEY)).body;
    expect(view).toMatchObject({ status: 'completed', attempts: 2 });
    expect(view.result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
  });

  it('retries a store outage without calling the model again', async () => {
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    storeFailures = 1;
    const res = await post();
    expect(res.status).toBe(200);
    expect(fake.requests.extract).toHaveLength(1);
    expect((await job(res.body.job_id)).result.resumed_stages).toEqual(['analyze', 'extract', 'classify', 'categorize', 'embed']);
  });

  it('fails at once on a 400, with the server message', async () => {
    fake.scripts.extract.push({ status: 400, message: 'context length exceeded' });
    const res = await post();
    expect(res.status).toBe(500);
    expect(res.body.error.message).toMatch(/The model server refused the request \(400\).*context length exceeded/);
    expect(fake.requests.extract).toHaveLength(1);
    expect(await job(res.body.error.details.job_id)).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('takes JSON in a code fence after reasoning, as local models write it', async () => {
    fake.scripts.extract.push({ text: `<think>The user got promoted.</think>\n\`\`\`json\n${JSON.stringify(GOOD_ANSWER)}\n\`\`\`` });
    const res = await post();
    expect(res.body.memories_created).toBe(2);
    expect(fake.requests.extract).toHaveLength(1);
  });

  it('asks the same reconciliation question as Claude and applies the answer', async () => {
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    expect((await post()).status).toBe(200);
    const first = user();
    // The same user tells one of the facts again in another thread: the candidates go to the model.
    fake.scripts.extract.push({ answer: { facts: [GOOD_ANSWER.facts[1]] } });
    // The model names the memory by the label the prompt gave it.
    const labelOf = (body: any, text: string) => new RegExp(`^(M\\d+): ${text}`, 'm').exec(body.messages[1].content)![1];
    fake.scripts.reconcile.push({
      answerFor: (body) => ({ decisions: [{ fact: 'F1', action: 'duplicate', target: labelOf(body, 'User leads a team'), supersedes: [] }] }),
    });
    const again = await request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ ...MEMSYNC_EXAMPLE, thread_id: 'another-thread', user_id: first });
    expect(again.status).toBe(200);
    expect(fake.requests.reconcile).toHaveLength(1);
    const asked = fake.requests.reconcile[0]!.body;
    expect(asked.messages[0].content).toMatch(/^You keep an assistant's memory of a user consistent/);
    expect(asked.messages[1].content).toMatch(/^Existing memories:\n(M\d+: .*\n)*M\d+: User leads a team of 5 engineers/);
    expect(again.body.memories_created).toBe(0);
    expect(await stack.store.count(first)).toBe(2);
    expect((await job(again.body.job_id)).result.llm.calls).toBe(2);
  });
});

describe('profiles with an OpenAI-compatible provider', () => {
  const fake = new FakeOpenAiChat();
  let stack: Stack;
  const { post, user } = poster(() => stack, 'oai-bio');

  beforeAll(async () => {
    await fake.start();
    stack = await stackOn(fake, { MNEMO_PROFILE_DEBOUNCE_MS: '100' });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  it("writes the profile's bio with the model", async () => {
    fake.scripts.extract.push({ answer: GOOD_ANSWER });
    fake.scripts.bio.push({ answer: { bio: 'A senior engineer at Google who leads a team of five.' } });
    expect((await post()).status).toBe(200);
    await eventually(async () => expect((await stack.profileCache.get(user()))?.bio_source).toBe('model'));
    expect((await stack.profileCache.get(user()))!.user_bio).toBe('A senior engineer at Google who leads a team of five.');
    expect(fake.requests.bio.at(-1)!.body.messages[1].content).toMatch(/promoted to Senior Software Engineer/);
  });
});

describe('auto output mode', () => {
  const fake = new FakeOpenAiChat();
  let stack: Stack;
  const { post } = poster(() => stack, 'oai-auto');

  beforeAll(async () => {
    await fake.start();
    stack = await stackOn(fake, {});
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  it('steps down from json_schema to tools on a server that refuses structured output, and stays there', async () => {
    fake.refuses.add('json_schema');
    fake.scripts.extract.push({ answer: GOOD_ANSWER }, { answer: GOOD_ANSWER });
    expect((await post()).body.memories_created).toBe(2);
    expect(fake.requests.extract.map((r) => (r.body.tools ? 'tools' : r.body.response_format.type))).toEqual(['json_schema', 'tools']);
    expect((await post()).body.memories_created).toBe(2);
    expect(fake.requests.extract.map((r) => (r.body.tools ? 'tools' : r.body.response_format.type))).toEqual(['json_schema', 'tools', 'tools']);
  });
});

describe('the daily model budget with an OpenAI-compatible provider', () => {
  const fake = new FakeOpenAiChat();
  let stack: Stack;
  beforeAll(async () => {
    await fake.start();
    stack = await stackOn(fake, { MNEMO_LLM_DAILY_CONVERSATIONS: '1' });
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  it('caps conversations sent to the model per user per day', async () => {
    const send = () => request(stack.app).post('/v1/memories?async=true').set('X-API-Key', SERVICE_KEY).send({ ...MEMSYNC_EXAMPLE, user_id: 'budget-user' });
    expect((await send()).status).toBe(202);
    const second = await send();
    expect(second.status).toBe(429);
    expect(second.body.error.details).toMatchObject({ limit: 'llm_daily_conversations', limit_per_day: 1 });
  });
});
