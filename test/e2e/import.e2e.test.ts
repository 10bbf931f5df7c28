import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadConfig } from '@mnemo/core';
import { createRedis, IngestQueue } from '@mnemo/queue';
import { SqliteMemoryStore } from '@mnemo/store';
import { chatGptConversation, claudeConversation, writeBookHistory } from '../support/chat-exports';
import { assertBuilt, freePort, runCli, spawnCli, startProcess, type MnemoProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

// 2,000 conversations through a real API and worker: minutes on a loaded 2-core machine, so the bound is generous.
jest.setTimeout(600_000);

const USERS = 20;
const TOTAL = 2_000;

/** `mnemo import` as a child process, to interrupt and to watch. */
function importer(args: string[], env: Record<string, string>) {
  const run = spawnCli(['import', ...args], env);
  return { ...run, report: () => JSON.parse(run.output().stdout) as Record<string, any> };
}

describe('mnemo import against the running services', () => {
  const prefix = uniquePrefix('import');
  const dataDir = makeTempDir('import');
  const work = makeTempDir('import-files');
  const processes: MnemoProcess[] = [];
  let env: Record<string, string>;
  let base: string;
  let key: string;
  let api: MnemoProcess;
  const redis = createRedis(TEST_REDIS_URL, 'command', 'test-import');
  const events = createRedis(TEST_REDIS_URL, 'blocking', 'test-import-events');
  let ingest: IngestQueue;

  const startApi = async () => {
    api = startProcess('api', env);
    processes.push(api);
    await api.waitForOutput(/api listening/);
  };

  beforeAll(async () => {
    assertBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix, MNEMO_WORKER_CONCURRENCY: '8' };
    ingest = new IngestQueue(loadConfig(env), redis, events);
    await startApi();
    const worker = startProcess('worker', env);
    processes.push(worker);
    await worker.waitForOutput(/worker ready/);
    key = (await runCli(['keys', 'create', '--user', 'importer', '--role', 'service'], env)).split('\n')[0]!;
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    await ingest.close();
    redis.disconnect();
    events.disconnect();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
    removeTempDir(work);
  });

  const state = (dir: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { done: number; accepted: number; duplicates: number };
    } catch {
      return { done: 0, accepted: 0, duplicates: 0 };
    }
  };
  const until = async (check: () => boolean, what: string, timeoutMs = 240_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('imports 2,000 conversations exactly once across a Ctrl-C and a server restart', async () => {
    const file = path.join(work, 'history.jsonl');
    writeBookHistory(file, TOTAL, USERS);
    const stateDir = path.join(work, 'history.state');
    const args = [file, '--url', base, '--key', key, '--batch-size', '50', '--concurrency', '4', '--state', stateDir];

    // First run: interrupted with Ctrl-C part way.
    const first = importer(args, {});
    await until(() => state(stateDir).done >= 400, 'the first 400 conversations');
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    expect(first.report()).toMatchObject({ interrupted: true });
    const afterFirst = state(stateDir).done;
    expect(afterFirst).toBeGreaterThanOrEqual(400);
    expect(afterFirst).toBeLessThan(TOTAL);

    // Second run: continues; the API is killed and restarted under it.
    const second = importer([...args, '--wait'], {});
    await until(() => state(stateDir).done >= afterFirst + 400, 'the second run to make progress');
    await api.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    await startApi();
    expect(await second.exited).toBe(0);
    const report = second.report();
    expect(second.output().stderr).toMatch(/server unreachable|answered 5\d\d/);
    // Rates and times are rounded for people and diffs.
    expect(String(report.rate)).toMatch(/^\d+(\.\d)?$/);
    expect(String(report.seconds)).toMatch(/^\d+(\.\d)?$/);

    // Every conversation enqueued once, processed once, one memory each. A batch whose answer was lost
    // with the API is sent again and comes back as duplicates, so the report's new jobs are at most TOTAL.
    expect(report.accepted - report.duplicates).toBeLessThanOrEqual(TOTAL);
    expect(report.accepted - report.duplicates).toBeGreaterThanOrEqual(TOTAL - 4 * 50);
    expect(report).toMatchObject({ rejected: 0, completed: TOTAL, failed: 0, memories: TOTAL, interrupted: false });
    const counts = await ingest.queue.getJobCounts('completed', 'failed', 'waiting', 'prioritized', 'active');
    expect(counts).toMatchObject({ completed: TOTAL, failed: 0, waiting: 0, prioritized: 0, active: 0 });
    const store = SqliteMemoryStore.open(dataDir);
    try {
      for (let u = 0; u < USERS; u++) expect(await store.count(`reader-${u}`)).toBe(TOTAL / USERS);
    } finally {
      await store.close();
    }

    // A third run finds nothing left to do.
    const third = importer(args, {});
    expect(await third.exited).toBe(0);
    expect(third.report()).toMatchObject({ read: TOTAL, accepted: report.accepted, rejected: 0 });
  });

  it('imports a gzipped ChatGPT export (current branch only, in order, with its times) and a Claude.ai export', async () => {
    const created = 1_700_000_000;
    const chatgpt = [
      chatGptConversation([['user', 'I live in Porto.'], ['assistant', 'Lovely.'], ['user', 'I work as a nurse.']], { createTime: created, branch: 'I live in Lisbon.' }),
      chatGptConversation([['user', 'I play the viola.']], { createTime: created + 86_400 }),
    ];
    const gz = path.join(work, 'chatgpt', 'conversations.json.gz');
    fs.mkdirSync(path.dirname(gz), { recursive: true });
    fs.writeFileSync(gz, zlib.gzipSync(JSON.stringify(chatgpt)));
    const chatgptRun = importer([path.dirname(gz), '--url', base, '--key', key, '--user', 'gpt-user', '--wait'], {});
    expect(await chatgptRun.exited).toBe(0);
    expect(chatgptRun.report()).toMatchObject({ read: 2, accepted: 2, rejected: 0, completed: 2, failed: 0 });

    const memories = async (user: string) => {
      const res = await fetch(`${base}/v1/memories?user_id=${user}&page_size=100`, { headers: { 'x-api-key': key } });
      return ((await res.json()) as { data: { memory: string; thread_id: string }[] }).data;
    };
    const gpt = await memories('gpt-user');
    expect(gpt.map((m) => m.memory).sort()).toEqual(['User lives in Porto', 'User plays the viola', 'User works as a nurse']);
    expect(gpt.find((m) => /Porto/.test(m.memory))!.thread_id).toBe(chatgpt[0]!.conversation_id);
    const [firstJob] = fs.readFileSync(`${path.dirname(gz)}.mnemo-import/jobs.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { job_id: string });
    const job = await ingest.queue.getJob(firstJob!.job_id);
    expect(job!.data.conversation.metadata).toMatchObject({ timestamp: '2023-11-14T22:13:20.000Z', platform: 'chatgpt' });
    expect(job!.data.conversation.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);

    const claude = path.join(work, 'claude.json');
    fs.writeFileSync(claude, JSON.stringify([claudeConversation([['human', 'I keep bees.'], ['assistant', 'How many hives?'], ['human', 'I grow lavender for them.']], { createdAt: '2024-05-01T08:00:00Z' })]));
    const claudeRun = importer([claude, '--url', base, '--key', key, '--user', 'claude-user', '--wait'], {});
    expect(await claudeRun.exited).toBe(0);
    expect(claudeRun.report()).toMatchObject({ read: 1, accepted: 1, completed: 1 });
    expect((await memories('claude-user')).map((m) => m.memory).sort()).toEqual(['User grows lavender for them', 'User keeps bees']);
  });

  it('validates without sending in a dry run, and writes the rejected records with reasons', async () => {
    const file = path.join(work, 'mixed.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ messages: [{ role: 'user', content: 'I like tea.' }], agent_id: 'a', thread_id: 'm1', source: 's', user_id: 'dry' }),
        '{broken json',
        JSON.stringify({ messages: [], agent_id: 'a', thread_id: 'm2', source: 's', user_id: 'dry' }),
      ].join('\n'),
    );
    const before = await ingest.queue.getJobCounts('completed', 'waiting', 'prioritized');
    const run = importer([file, '--dry-run', '--state', path.join(work, 'mixed.state')], {});
    expect(await run.exited).toBe(0);
    expect(run.report()).toMatchObject({ read: 3, accepted: 1, rejected: 2 });
    const rejected = fs.readFileSync(path.join(work, 'mixed.state', 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected.map((r) => [r.index, r.error.message])).toEqual([
      [1, expect.stringMatching(/^not JSON/)],
      [2, expect.stringMatching(/messages: must contain at least one message/)],
    ]);
    expect(await ingest.queue.getJobCounts('completed', 'waiting', 'prioritized')).toEqual(before);
    // A bad key stops the import at once with the server's reason.
    const refused = importer([file, '--url', base, '--key', 'mnemo_wrong', '--state', path.join(work, 'refused.state')], {});
    expect(await refused.exited).toBe(1);
    expect(refused.output().stderr).toMatch(/refused the import \(401\): Invalid or revoked API key/);
  });
});
