import type { Submission } from '@mnemo/queue';
import { figure, peakRssMb, type BenchResult } from './harness';
import { completion, redisUsedMemory, RUNS, start, withIngest, withSetup } from './setup';
import { conversation, session } from './workloads';

const USERS = 100;
const CONCURRENCY = process.env.BENCH_CONCURRENCY ?? '8';

interface PipelineRun {
  rate: number;
  rssMb: number;
  redisPer10kMb: number;
  stageMs: Record<string, number>;
}

/**
 * Enqueues `total` conversations, then starts `workers` worker processes and
 * times from the last of them answering /readyz to the last completion.
 * Redis memory is read before enqueueing and after completion, at the
 * default retention.
 */
async function runPipeline(total: number, workers: number, make: (i: number) => Submission['conversation']): Promise<PipelineRun> {
  return withSetup('pipeline', async ({ prefix, dir, started }) => {
    const env = { MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_WORKER_CONCURRENCY: CONCURRENCY };
    return withIngest(env, async (ingest, command) => {
      const before = await redisUsedMemory(command);
      await ingest.enqueueMany(Array.from({ length: total }, (_, i) => ({ userId: `u${i % USERS}`, conversation: make(i) })));
      const procs = await Promise.all(Array.from({ length: workers }, () => start('worker', env, started)));
      const t0 = performance.now();
      await completion(ingest, total, 100);
      const rate = total / ((performance.now() - t0) / 1000);
      const after = await redisUsedMemory(command);
      const stageMs: Record<string, number> = {};
      for (const job of await ingest.queue.getCompleted(0, total)) {
        for (const [stage, ms] of Object.entries(job.returnvalue.stage_ms as Record<string, number>)) stageMs[stage] = (stageMs[stage] ?? 0) + ms;
      }
      return {
        rate,
        rssMb: Math.max(...procs.map((p) => peakRssMb(p.child.pid!) ?? NaN)),
        redisPer10kMb: (((after - before) / total) * 10_000) / 2 ** 20,
        stageMs,
      };
    });
  });
}

/**
 * 2. Worker processes on the offline pipeline: 10-message conversations with
 * one worker and with two (the ratio per run), and 22-turn two-person
 * sessions with one.
 */
export async function pipeline(): Promise<BenchResult> {
  const short = Number(process.env.BENCH_PIPELINE_JOBS ?? 1_000);
  const long = Number(process.env.BENCH_SESSION_JOBS ?? 300);
  const one: number[] = [];
  const two: number[] = [];
  const sessions: number[] = [];
  const rss: number[] = [];
  const redis: number[] = [];
  const shares: Record<string, number[]> = {};
  for (let run = 0; run < RUNS; run++) {
    const single = await runPipeline(short, 1, conversation);
    const pair = await runPipeline(short, 2, conversation);
    const longRun = await runPipeline(long, 1, (i) => session(i, USERS));
    one.push(single.rate);
    two.push(pair.rate);
    sessions.push(longRun.rate);
    rss.push(Math.max(single.rssMb, pair.rssMb, longRun.rssMb));
    redis.push(single.redisPer10kMb);
    const all = Object.values(single.stageMs).reduce((a, b) => a + b, 0);
    for (const [stage, ms] of Object.entries(single.stageMs)) (shares[stage] ??= []).push((100 * ms) / all);
  }
  return {
    bench: 'pipeline',
    figures: [
      figure('10-message conversations, 1 worker', 'conv/s', one, { value: 150, better: 'higher' }),
      figure('22-turn sessions, 1 worker', 'conv/s', sessions, { value: 40, better: 'higher' }),
      figure('10-message conversations, 2 workers', 'conv/s', two),
      figure('2 workers / 1 worker', '×', two.map((t, i) => t / one[i]!), { value: 1.5, better: 'higher' }),
      figure('worker peak RSS', 'MB', rss, { value: 400, better: 'lower' }),
      figure('Redis per 10k completed jobs', 'MB', redis, { value: 30, better: 'lower' }),
      ...Object.entries(shares).map(([stage, values]) => figure(`share of stage time: ${stage}`, '%', values)),
    ],
    notes: [
      `${short} 10-message conversations and ${long} 22-message sessions (windows of the retrieval evaluation's chats) for ${USERS} users, enqueued first; worker concurrency ${CONCURRENCY}; offline extractor, default embedder, embedded store`,
      'rate: from the workers answering /readyz to the last completion; Redis: used_memory after minus before, default retention',
    ],
  };
}
