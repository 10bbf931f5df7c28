import request from 'supertest';
import { MnemoError } from '@mnemo/core';
import { stagesFailingAt } from '../support/faulty-stages';
import { assertBuilt, runCli } from '../support/processes';
import { SERVICE_KEY, startStack, type Stack } from '../support/stack';

jest.setTimeout(60_000);

describe('mnemo jobs', () => {
  let stack: Stack;
  let env: Record<string, string>;
  let broken = true;
  beforeAll(async () => {
    assertBuilt();
    stack = await startStack({ MNEMO_JOB_ATTEMPTS: '1' });
    env = { REDIS_URL: stack.config.REDIS_URL, MNEMO_QUEUE_PREFIX: stack.config.MNEMO_QUEUE_PREFIX };
    await stack.startWorker(stagesFailingAt('embed', () => (broken ? new MnemoError('PROCESSING_ERROR', 'embedder offline') : null)));
  });
  afterAll(() => stack.close());

  const post = (content: string) =>
    request(stack.app)
      .post('/v1/memories')
      .set('X-API-Key', SERVICE_KEY)
      .send({ user_id: 'cli-user', messages: [{ role: 'user', content }], agent_id: 'a', thread_id: content, source: 'chat' });

  it('lists failed jobs with reasons, retries one and all, discards, and refuses what it cannot do', async () => {
    const first = (await post('I play the trumpet.')).body.error.details.job_id;
    const second = (await post('I keep bees.')).body.error.details.job_id;

    const stats = JSON.parse(await runCli(['jobs', 'stats', '--json'], env));
    expect(stats.find((q: { queue: string }) => q.queue === 'ingest').counts).toMatchObject({ failed: 2, completed: 0 });
    const failed = JSON.parse(await runCli(['jobs', 'failed', '--json'], env));
    expect(failed.total).toBe(2);
    expect(failed.jobs.map((j: { job_id: string }) => j.job_id).sort()).toEqual([first, second].sort());
    expect(failed.jobs[0].error).toEqual({ code: 'PROCESSING_ERROR', message: 'embed stage failed: embedder offline' });
    expect(await runCli(['jobs', 'failed'], env)).toContain('embed stage failed: embedder offline');

    broken = false;
    expect(await runCli(['jobs', 'retry', first], env)).toBe(`retried ${first}`);
    const waitCompleted = async (id: string) => {
      for (let i = 0; i < 100 && (await stack.ingest.queue.getJobState(id)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
      return stack.ingest.queue.getJob(id);
    };
    // Resumed after the stages the failed attempt had finished.
    expect((await waitCompleted(first))!.returnvalue.resumed_stages).toEqual(['analyze', 'extract']);

    await expect(runCli(['jobs', 'retry', first], env)).rejects.toThrow(/is completed; only failed jobs can be retried/);
    await expect(runCli(['jobs', 'retry'], env)).rejects.toThrow(/give a job id or --all/);
    await expect(runCli(['jobs', 'discard', 'no-such-job'], env)).rejects.toThrow(/No job no-such-job/);

    expect(await runCli(['jobs', 'retry', '--all'], env)).toBe('retried 1 failed jobs');
    await waitCompleted(second);
    expect(await runCli(['jobs', 'discard', second], env)).toBe(`discarded ${second}`);
    expect(await stack.ingest.queue.getJob(second)).toBeUndefined();
  });
});
