import request from 'supertest';
import { ClaudeReconciler, type FactToReconcile } from '@mnemo/pipeline';
import { FakeAnthropic } from '../support/fake-anthropic';
import { SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(20_000);

const PARIS = '0b5e7e62-4a2f-5b1e-9c1d-2f8a3e4b5c6d';
const HIKING = '1c6f8f73-5b3a-5c2f-8d2e-3a9b4f5c6d7e';

const facts: FactToReconcile[] = [
  {
    text: 'User moved to Berlin',
    type: 'episodic',
    eventTime: '2026-10-24T10:00:00.000Z',
    candidates: [{ ref: PARIS, memory: 'User lives in Paris', type: 'semantic', eventTime: null, distance: null }],
  },
  { text: 'User plays chess', type: 'semantic', eventTime: null, candidates: [] },
  {
    text: 'User really enjoys hiking',
    type: 'semantic',
    eventTime: null,
    candidates: [
      { ref: HIKING, memory: 'User loves hiking', type: 'semantic', eventTime: null, distance: 0.1 },
      { ref: PARIS, memory: 'User lives in Paris', type: 'semantic', eventTime: null, distance: 0.4 },
    ],
  },
];

describe('Claude reconciler through @anthropic-ai/sdk against a loopback Messages API', () => {
  const fake = new FakeAnthropic();
  let reconciler: ClaudeReconciler;
  beforeAll(async () => {
    await fake.start();
    reconciler = new ClaudeReconciler({ apiKey: 'k', baseURL: fake.url, model: 'claude-haiku-4-5', timeoutMs: 5_000 });
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reconcileRequests.length = 0;
    fake.reconcileScript.length = 0;
  });

  it('asks once about the facts with candidates, under labels, and maps the answer back to memory ids', async () => {
    fake.reconcileScript.push({
      toolInput: {
        decisions: [
          { fact: 'F1', action: 'new', target: null, supersedes: ['M1'] },
          { fact: 'F2', action: 'duplicate', target: 'M2', supersedes: [] },
        ],
      },
    });
    const { decisions, llm } = await reconciler.decide(facts);
    expect(decisions).toEqual([
      { action: 'new', target: null, supersedes: [PARIS] },
      { action: 'new', target: null, supersedes: [] },
      { action: 'duplicate', target: HIKING, supersedes: [] },
    ]);
    expect(llm).toMatchObject({ calls: 1, model: 'claude-haiku-4-5' });
    expect(fake.reconcileRequests).toHaveLength(1);
    const { body } = fake.reconcileRequests[0]!;
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'reconcile_memories' });
    const prompt: string = body.messages[0].content;
    expect(prompt).toContain('M1: User lives in Paris (semantic)');
    expect(prompt).toContain('F1: User moved to Berlin (episodic, 2026-10-24); may relate to M1');
    expect(prompt).not.toContain('chess');
    expect(prompt).not.toContain(PARIS);
    // The schema only admits the labels shown.
    expect(body.tools[0].input_schema.properties.decisions.items.properties.target.anyOf[0].enum).toEqual(['M1', 'M2']);
  });

  it('makes no call when no fact has a candidate', async () => {
    const { decisions, llm } = await reconciler.decide([facts[1]!]);
    expect(decisions).toEqual([{ action: 'new', target: null, supersedes: [] }]);
    expect(llm).toBeNull();
    expect(fake.reconcileRequests).toHaveLength(0);
  });

  it('repairs an answer naming a memory it was not shown, once', async () => {
    fake.reconcileScript.push(
      { toolInput: { decisions: [{ fact: 'F1', action: 'refine', target: 'M7', supersedes: [] }, { fact: 'F2', action: 'new', target: null, supersedes: [] }] } },
      { toolInput: { decisions: [{ fact: 'F1', action: 'new', target: null, supersedes: [] }, { fact: 'F2', action: 'refine', target: 'M2', supersedes: [] }] } },
    );
    const { decisions, llm } = await reconciler.decide(facts);
    expect(decisions[2]).toEqual({ action: 'refine', target: HIKING, supersedes: [] });
    expect(llm!.calls).toBe(2);
    const repair = fake.reconcileRequests[1]!.body.messages;
    expect(repair.at(-1).content[0]).toMatchObject({ type: 'tool_result', is_error: true });
    expect(repair.at(-1).content[0].content).toMatch(/decisions\.0\.target/);
  });

  it('falls back to the offline rules when the answer stays unusable', async () => {
    const missing = { toolInput: { decisions: [{ fact: 'F1', action: 'duplicate', target: null, supersedes: [] }] } };
    fake.reconcileScript.push(missing, missing);
    const { decisions, llm } = await reconciler.decide(facts);
    expect(llm!.calls).toBe(2);
    expect(decisions).toEqual([
      { action: 'new', target: null, supersedes: [PARIS] },
      { action: 'new', target: null, supersedes: [] },
      { action: 'duplicate', target: HIKING, supersedes: [] },
    ]);
  });

  it('passes a provider rate limit on, for the worker to back off', async () => {
    fake.reconcileScript.push({ status: 429, errorType: 'rate_limit_error', message: 'slow down' });
    await expect(reconciler.decide(facts)).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
  });
});

describe('with Claude configured, the store stage decides with the model', () => {
  const fake = new FakeAnthropic();
  let stack: Stack;
  beforeAll(async () => {
    await fake.start();
    stack = await startStack({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: fake.url });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  const fact = (memory: string) => ({
    toolInput: { facts: [{ memory, message_ids: ['0'], type: 'semantic', event_time: null, categories: ['identity'] }] },
  });
  const post = (content: string) =>
    request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ user_id: 'claude-rec', messages: [{ role: 'user', content }], agent_id: 'a', thread_id: content, source: 'chat' });

  it('closes the memory the model says the new fact contradicts, and counts both calls', async () => {
    fake.script.push(fact('User lives in Paris'));
    const first = await post('I live in Paris');
    expect(first.body).toMatchObject({ memories_created: 1 });
    expect(fake.reconcileRequests).toHaveLength(0); // nothing to compare with yet

    fake.script.push(fact('User has made Berlin their home'));
    fake.reconcileScript.push({ toolInput: { decisions: [{ fact: 'F1', action: 'new', target: null, supersedes: ['M1'] }] } });
    const second = await post('Berlin is home now');
    expect(second.body).toMatchObject({ memories_created: 1, memories_superseded: 1 });
    expect(fake.reconcileRequests).toHaveLength(1);
    const job = await request(stack.app).get(`/v1/jobs/${second.body.job_id}?user_id=claude-rec`).set('X-API-Key', SERVICE_KEY);
    expect(job.body.result.llm).toMatchObject({ calls: 2 });
    const listed = await request(stack.app).get('/v1/memories?user_id=claude-rec').set('X-API-Key', SERVICE_KEY);
    expect(listed.body.data.map((m: { memory: string }) => m.memory)).toEqual(['User has made Berlin their home']);
  });
});
