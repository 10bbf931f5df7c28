import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig, memoryId } from '@mnemo/core';
import { LocalEmbedder } from '@mnemo/pipeline';
import { createRedis, INGEST_QUEUE, IngestQueue, waitForRedis } from '@mnemo/queue';
import { SqliteMemoryStore, type MemoryWrite } from '@mnemo/store';
import { FakeAnthropic } from '../test/support/fake-anthropic';
import { freePort, ROOT, runCli, startProcess, type MnemoProcess } from '../test/support/processes';
import { deletePrefix, uniquePrefix } from '../test/support/redis';
import { figure, peakRssMb, sleep, type BenchResult } from './harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** A temp dir, a queue prefix, and everything started, cleaned up after. */
async function withSetup<T>(label: string, fn: (ctx: { prefix: string; dir: string; started: MnemoProcess[] }) => Promise<T>): Promise<T> {
  const prefix = uniquePrefix(`bench-${label}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mnemo-bench-${label}-`));
  const started: MnemoProcess[] = [];
  try {
    return await fn({ prefix, dir, started });
  } finally {
    await Promise.all(started.map((p) => p.stop('SIGTERM')));
    await deletePrefix(prefix, REDIS_URL);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a process at LOG_LEVEL=warn (a log line per job would be part of
 * what is measured) and waits until it answers: the API on /healthz, a
 * worker on /readyz of its health port.
 */
async function start(kind: 'api' | 'worker', env: Record<string, string>, started: MnemoProcess[]): Promise<MnemoProcess> {
  const extra: Record<string, string> = kind === 'worker' ? { MNEMO_WORKER_PORT: String(await freePort()) } : {};
  const p = startProcess(kind, { LOG_LEVEL: 'warn', REDIS_URL, ...env, ...extra });
  started.push(p);
  const base = kind === 'api' ? `http://127.0.0.1:${env.PORT}` : `http://127.0.0.1:${extra.MNEMO_WORKER_PORT}`;
  await waitForHttp(base, kind === 'api' ? '/healthz' : '/readyz');
  return p;
}

async function waitForHttp(base: string, route = '/healthz'): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${base}${route}`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${base}${route} did not come up`);
}

/** An IngestQueue on its own connections for the duration of `fn`. */
async function withIngest<T>(env: Record<string, string>, fn: (ingest: IngestQueue, command: Redis) => Promise<T>): Promise<T> {
  const command = createRedis(REDIS_URL, 'command', 'bench');
  const blocking = createRedis(REDIS_URL, 'blocking', 'bench-events');
  await waitForRedis(command, REDIS_URL, 5_000);
  const ingest = new IngestQueue(loadConfig(env), command, blocking);
  try {
    return await fn(ingest, command);
  } finally {
    await ingest.close();
    command.disconnect();
    blocking.disconnect();
  }
}

/** Waits until `total` ingest jobs have completed; any failed job ends the benchmark. */
async function completion(ingest: IngestQueue, total: number, pollMs = 50): Promise<void> {
  for (;;) {
    const counts = await ingest.queue.getJobCounts('completed', 'failed');
    if (counts.failed) throw new Error(`${counts.failed} jobs failed`);
    if ((counts.completed ?? 0) >= total) return;
    await sleep(pollMs);
  }
}

/** A ten-message conversation (five user turns) with facts of its own. */
function conversation(i: number) {
  const facts = [
    `I have lived in city number ${i % 97} for ${i % 11} years.`,
    `I work as an engineer on project ${i}.`,
    `My sister is a teacher and she has ${i % 5} kids.`,
    `I love hiking and I run ${i % 13} kilometres every week.`,
    `I am learning language number ${i % 7} this year.`,
  ];
  return {
    messages: facts.flatMap((content) => [
      { role: 'user' as const, content },
      { role: 'assistant' as const, content: 'That is interesting, tell me more.' },
    ]),
    agent_id: 'bench',
    thread_id: `bench-${i}`,
    source: 'bench',
  };
}

// ---------------------------------------------------------------------------------------------

/** 1. POST /v1/memories?async=true under autocannon, against the raw BullMQ add rate from one process. */
export async function apiIngest(): Promise<BenchResult> {
  return withSetup('ingest', async ({ prefix, dir, started }) => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_RATE_LIMIT_STORE: '0', MNEMO_KEEP_COMPLETED_COUNT: '1000' };
    const api = await start('api', env, started);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(base);
    const key = (await runCli(['keys', 'create', '--user', 'bench', '--role', 'service'], env)).split('\n')[0]!;
    const redis = new Redis(REDIS_URL);
    const queue = new Queue(INGEST_QUEUE.name, { connection: redis, prefix });
    const rps: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    const raw: number[] = [];
    let n = 0;
    try {
      for (let run = 0; run < RUNS; run++) {
        const result = await autocannon({
          url: `${base}/v1/memories?async=true`,
          connections: 50,
          duration: 8,
          requests: [
            {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': key },
              // A new conversation per request: each is a new job, not a repeat.
              setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...conversation(n++), user_id: `u${n % 100}` }) }),
            },
          ],
        });
        if (result.non2xx > 0) throw new Error(`${result.non2xx} requests failed`);
        rps.push(result.requests.average);
        p50.push(result.latency.p50);
        p99.push(result.latency.p99);
        await queue.obliterate({ force: true });

        // The ceiling: the same payloads added straight to the queue, 50 at a time, from one process.
        const data = { user_id: 'u1', conversation: conversation(0), received_at: new Date().toISOString() };
        const total = 10_000;
        const t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            while (next < total) {
              const id = next++;
              await queue.add(INGEST_QUEUE.jobName, { ...data, conversation: conversation(id) }, { jobId: `raw-${run}-${id}` });
            }
          }),
        );
        raw.push(total / ((performance.now() - t0) / 1000));
        await queue.obliterate({ force: true });
      }
    } finally {
      await queue.close();
      redis.disconnect();
    }
    const ratio = rps.map((r, i) => (100 * r) / raw[i]!);
    return {
      bench: 'api-ingest',
      figures: [
        figure('POST ?async=true', 'req/s', rps, { value: 2_000, better: 'higher' }),
        figure('p50 latency', 'ms', p50),
        figure('p99 latency', 'ms', p99, { value: 50, better: 'lower' }),
        figure('raw queue.add', 'adds/s', raw),
        figure('API / raw add', '%', ratio, { value: 50, better: 'higher' }),
        figure('API peak RSS', 'MB', [peakRssMb(api.child.pid!) ?? NaN]),
      ],
      notes: ['50 connections, 8 s per run, one API process; each request a new 10-message conversation; rate limits off for the run'],
    };
  });
}

/** 2. One worker process, offline pipeline, 10-message conversations: enqueued → stored. */
export async function pipeline(): Promise<BenchResult> {
  const rates: number[] = [];
  const shares: Record<string, number[]> = {};
  let rss = NaN;
  let redisPer10k = NaN;
  const total = Number(process.env.BENCH_PIPELINE_JOBS ?? 1_000);
  for (let run = 0; run < RUNS; run++) {
    await withSetup('pipeline', async ({ prefix, dir, started }) => {
      const env = { MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_WORKER_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '8' };
      await withIngest(env, async (ingest, command) => {
        const before = Number(/used_memory:(\d+)/.exec(await command.info('memory'))?.[1]);
        await ingest.enqueueMany(Array.from({ length: total }, (_, i) => ({ userId: `u${i % 100}`, conversation: conversation(i) })));
        const worker = await start('worker', env, started);
        const t0 = performance.now();
        await completion(ingest, total, 100);
        rates.push(total / ((performance.now() - t0) / 1000));
        rss = peakRssMb(worker.child.pid!) ?? rss;
        const after = Number(/used_memory:(\d+)/.exec(await command.info('memory'))?.[1]);
        redisPer10k = ((after - before) / total) * 10_000 / 2 ** 20;
        const jobs = await ingest.queue.getCompleted(0, total);
        const sums: Record<string, number> = {};
        for (const job of jobs) for (const [stage, ms] of Object.entries(job.returnvalue.stage_ms)) sums[stage] = (sums[stage] ?? 0) + (ms as number);
        const all = Object.values(sums).reduce((a, b) => a + b, 0);
        for (const [stage, ms] of Object.entries(sums)) (shares[stage] ??= []).push((100 * ms) / all);
      });
    });
  }
  return {
    bench: 'pipeline',
    figures: [
      figure('offline, 1 worker', 'conv/s', rates, { value: 200, better: 'higher' }),
      ...Object.entries(shares).map(([stage, values]) => figure(`share: ${stage}`, '%', values)),
      figure('worker peak RSS', 'MB', [rss]),
      figure('Redis per 10k completed jobs', 'MB', [redisPer10k]),
    ],
    notes: [`${total} conversations of 10 messages for 100 users, enqueued first; worker concurrency ${process.env.BENCH_CONCURRENCY ?? 8}; time from the worker answering /readyz to the last completion`],
  };
}

/** 3. A loopback Messages API answering in 1 s; one worker at concurrency 50. */
export async function slowLlm(): Promise<BenchResult> {
  const rates: number[] = [];
  const total = 300;
  for (let run = 0; run < RUNS; run++) {
    const fake = new FakeAnthropic();
    await fake.start();
    for (let i = 0; i < total * 3; i++) fake.delays.push(1_000);
    try {
      await withSetup('slow-llm', async ({ prefix, dir, started }) => {
        const env = { MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_WORKER_CONCURRENCY: '50', ANTHROPIC_API_KEY: 'sk-bench', ANTHROPIC_BASE_URL: fake.url };
        await withIngest(env, async (ingest) => {
          await start('worker', env, started);
          const t0 = performance.now();
          // One user each: no earlier memories, so no reconciliation call; one model call per conversation.
          await ingest.enqueueMany(Array.from({ length: total }, (_, i) => ({ userId: `llm-${i}`, conversation: { ...conversation(i), messages: conversation(i).messages.slice(0, 2) } })));
          await completion(ingest, total);
          rates.push(total / ((performance.now() - t0) / 1000));
        });
      });
    } finally {
      await fake.stop();
    }
  }
  return {
    bench: 'slow-llm',
    figures: [figure('1 s model, concurrency 50', 'conv/s', rates, { value: 45, better: 'higher' })],
    notes: [`${total} conversations, each one extraction call answered after 1 s by a loopback Messages API (ideal: 50/s)`],
  };
}

/** 4. POST /v1/memories/search over HTTP: 100,000 memories across 100 users, 10,000 for the one queried. */
export async function search(): Promise<BenchResult> {
  return withSetup('search', async ({ prefix, dir, started }) => {
    const embedder = new LocalEmbedder(256);
    const store = SqliteMemoryStore.open(dir, embedder.dimension);
    const words = 'hiking cooking chess piano tennis garden coffee travel python rust music painting novels cycling yoga sailing baking photography climbing pottery'.split(' ');
    const places = 'Oslo Lisbon Berlin Tokyo Lima Cairo Denver Porto Madrid Seoul'.split(' ');
    const text = (u: number, i: number) => `User ${['likes', 'practises', 'talks about', 'plans'][i % 4]} ${words[(i * 7 + u) % words.length]} in ${places[(i * 3 + u) % places.length]} (note ${i})`;
    const t0 = performance.now();
    for (let u = 0; u < 100; u++) {
      const count = u === 0 ? 10_000 : 909;
      for (let start = 0; start < count; start += 1_000) {
        const user = `s${u}`;
        const writes: MemoryWrite[] = [];
        for (let i = start; i < Math.min(count, start + 1_000); i++) {
          const memory = text(u, i);
          writes.push({
            action: 'create',
            item: {
              memory: {
                id: memoryId(user, memory),
                user_id: user,
                memory,
                categories: ['interests'],
                type: 'semantic',
                event_time: null,
                agent_id: 'bench',
                thread_id: 'bench',
                source: 'bench',
                attributes: [],
                provenance: [{ job_id: `seed-${u}-${start}`, thread_id: 'bench', agent_id: 'bench', source: 'bench', message_ids: ['0'], seen_at: new Date().toISOString() }],
              },
              vector: embedder.embedOne(memory),
            },
          });
        }
        await store.write(user, `seed-${u}-${start}`, writes, new Date());
      }
    }
    const seeded = await store.count('s0');
    await store.close();
    const seedSeconds = (performance.now() - t0) / 1000;

    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_RATE_LIMIT_SEARCH: '0' };
    const api = await start('api', env, started);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(base);
    const key = (await runCli(['keys', 'create', '--user', 's0'], env)).split('\n')[0]!;
    const p50: number[] = [];
    const p95: number[] = [];
    const rps: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const latencies: number[] = [];
      const until = Date.now() + 8_000;
      let q = 0;
      // Closed loop, 4 clients: the latency a client sees, not the server's saturation point.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < until) {
            const query = `${words[q % words.length]} in ${places[q++ % places.length]}`;
            const t = performance.now();
            const res = await fetch(`${base}/v1/memories/search`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': key },
              body: JSON.stringify({ query, limit: 10 }),
            });
            await res.arrayBuffer();
            if (!res.ok) throw new Error(`search answered ${res.status}`);
            latencies.push(performance.now() - t);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      p50.push(latencies[Math.floor(latencies.length * 0.5)]!);
      p95.push(latencies[Math.floor(latencies.length * 0.95)]!);
      rps.push(latencies.length / 8);
    }
    return {
      bench: 'search',
      figures: [
        figure('p50 latency', 'ms', p50),
        figure('p95 latency', 'ms', p95, { value: 20, better: 'lower' }),
        figure('throughput (4 clients)', 'req/s', rps),
        figure('API peak RSS', 'MB', [peakRssMb(api.child.pid!) ?? NaN]),
      ],
      notes: [`embedded store, local embedder; ${seeded} memories for the queried user, 100,000 in all (seeded in ${seedSeconds.toFixed(0)} s); limit 10`],
    };
  });
}

/** 5. mnemo import of a 100,000-line JSONL file against one API process. */
export async function importer(): Promise<BenchResult> {
  const rates: number[] = [];
  const lines = Number(process.env.BENCH_IMPORT_LINES ?? 100_000);
  const file = path.join(os.tmpdir(), `mnemo-bench-import-${process.pid}.jsonl`);
  fs.writeFileSync(file, Array.from({ length: lines }, (_, i) => JSON.stringify({ ...conversation(i), messages: conversation(i).messages.slice(0, 2), user_id: `imp-${i % 100}` })).join('\n'));
  try {
    for (let run = 0; run < RUNS; run++) {
      await withSetup('import', async ({ prefix, dir, started }) => {
        const port = await freePort();
        const env = { PORT: String(port), HOST: '127.0.0.1', MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_RATE_LIMIT_BATCH: '0', MNEMO_BACKPRESSURE_MAX_WAITING: String(lines * 2) };
        await start('api', env, started);
        const base = `http://127.0.0.1:${port}`;
        await waitForHttp(base);
        const key = (await runCli(['keys', 'create', '--user', 'importer', '--role', 'service'], env)).split('\n')[0]!;
        const out = await runCli(['import', file, '--url', base, '--key', key, '--batch-size', '500', '--concurrency', '4', '--state', path.join(dir, 'state')], env);
        const report = JSON.parse(out) as { accepted: number; seconds: number };
        if (report.accepted !== lines) throw new Error(`accepted ${report.accepted} of ${lines}`);
        rates.push(report.accepted / report.seconds);
      });
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  return {
    bench: 'import',
    figures: [figure(`${lines} JSONL lines`, 'conv/s', rates, { value: 5_000, better: 'higher' })],
    notes: ['batch size 500, 4 batches in flight, one API process, no worker running; accepted = enqueued'],
  };
}

export const BENCHES = { 'api-ingest': apiIngest, pipeline, 'slow-llm': slowLlm, search, import: importer } as const;
export { ROOT };
