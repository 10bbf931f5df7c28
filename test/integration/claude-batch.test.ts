import { eventually } from '../support/eventually';
import { FakeAnthropic } from '../support/fake-anthropic';
import { startStack, type Stack } from '../support/stack';

jest.setTimeout(60_000);

/** Batch mode end to end: conversations in, one Message Batch, memories out. */
describe('MNEMO_LLM_MODE=batch through the Message Batches API', () => {
  const fake = new FakeAnthropic();
  let stack: Stack;

  beforeAll(async () => {
    await fake.start();
    stack = await startStack({
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: fake.url,
      MNEMO_LLM_MODE: 'batch',
      MNEMO_LLM_BATCH_WINDOW_MS: '500',
      MNEMO_LLM_BATCH_POLL_MS: '100',
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack.close();
    await fake.stop();
  });

  const ingest = async (count: number, label: string, from = 0) => {
    const jobs = [];
    for (let i = from; i < from + count; i++) {
      jobs.push(
        await stack.ingest.enqueue(`batch-user-${i % 10}`, {
          messages: [{ role: 'user', content: `my ${label} number is ${i}` }],
          agent_id: 'importer',
          thread_id: `${label}-${i}`,
          source: 'import',
        }),
      );
    }
    return jobs;
  };

  const settle = (ids: string[]) =>
    eventually(async () => {
      const states = await Promise.all(ids.map((id) => stack.ingest.queue.getJobState(id)));
      return states.every((s) => s === 'completed' || s === 'failed') && states;
    }, { timeoutMs: 40_000 });

  /** Profile rebuilds follow the jobs, debounced, each with a bio call of its own: wait for them. */
  const profilesIdle = () =>
    eventually(async () => Object.values(await stack.profiles.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).every((c) => c === 0));

  it('processes 200 conversations through one batch, with no synchronous model call', async () => {
    const jobs = await ingest(200, 'ticket');
    const states = await settle(jobs.map((j) => j.id!));
    expect(states.every((s) => s === 'completed')).toBe(true);
    expect(fake.requests).toHaveLength(0);
    expect(fake.batches.flatMap((b) => b.requests)).toHaveLength(200);
    expect(fake.batches[0]!.requests[0]!.params.tool_choice).toEqual({ type: 'tool', name: 'record_memories' });

    const results = await Promise.all(jobs.map(async (j) => (await stack.ingest.queue.getJob(j.id!))!.returnvalue));
    expect(results.every((r) => r.memories_created === 1 && r.llm?.calls === 1)).toBe(true);
    expect(results[7]!.memories[0]!.memory).toBe('User said my ticket number is 7');
    expect(results.every((r) => r.resumed_stages.includes('extract'))).toBe(true);
    expect(await stack.store.count('batch-user-3')).toBe(20);
    // Each job once; every call once: the batch's 200 and the profiles' bios (none of them a job).
    await profilesIdle();
    expect((await stack.usageTotals.read(1)).total).toMatchObject({ jobs: 200, calls: 200 + fake.bioRequests.length });
  });

  it('sends conversations whose batch entry errored through the Messages API instead', async () => {
    fake.batches.length = 0;
    fake.erroredWhen = (entry) => / number is \d*0$/m.test(entry.params.messages[0].content);
    // Two batches, as a busy machine makes them: which conversations fall back must not depend on it.
    const first = await ingest(15, 'order');
    await eventually(() => expect(fake.batches.length).toBe(1));
    const jobs = [...first, ...(await ingest(15, 'order', 15))];
    const states = await settle(jobs.map((j) => j.id!));
    expect(states.every((s) => s === 'completed')).toBe(true);
    const entries = fake.batches.flatMap((b) => b.requests);
    expect(entries).toHaveLength(30);
    expect(fake.requests).toHaveLength(3);
    const results = await Promise.all(jobs.map(async (j) => (await stack.ingest.queue.getJob(j.id!))!.returnvalue));
    expect(results.every((r) => r.memories_created === 1)).toBe(true);
  });
});
