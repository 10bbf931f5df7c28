import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { INGEST_QUEUE } from '@mnemo/queue';
import { figure, peakRssMb, type BenchResult } from './harness';
import { apiKey, freePort, REDIS_URL, RUNS, startApiWithBareRoute, withSetup } from './setup';
import { conversation, conversationLoad } from './workloads';

const CONNECTIONS = 50;
/** Both routes pay for a rate-limit counter, as in production, with quotas no run reaches. */
const LIMITS_ON_BUT_HIGH = { MNEMO_RATE_LIMIT_STORE: '100000000', MNEMO_RATE_LIMIT_WRITE: '100000000' };
const SECONDS = 8;

/**
 * 1. POST /v1/memories?async=true under autocannon, against the ceiling the
 * same process reaches on a bare POST route with the same body, middleware,
 * authentication and rate limits (measured just before, in the same run),
 * and, for reference, the raw BullMQ add rate from one process.
 */
export async function apiIngest(): Promise<BenchResult> {
  return withSetup('ingest', async ({ prefix, dir, started }) => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_KEEP_COMPLETED_COUNT: '1000', ...LIMITS_ON_BUT_HIGH };
    const api = await startApiWithBareRoute(env, started);
    const base = `http://127.0.0.1:${port}`;
    const key = await apiKey('bench', env, 'service');
    const redis = new Redis(REDIS_URL);
    const queue = new Queue(INGEST_QUEUE.name, { connection: redis, prefix });
    const figures = { rps: [] as number[], bare: [] as number[], p50: [] as number[], p99: [] as number[], bareP99: [] as number[], raw: [] as number[] };
    const load = (route: string) => conversationLoad(`${base}${route}`, key, CONNECTIONS, SECONDS);
    try {
      for (let run = 0; run < RUNS; run++) {
        const bare = await load('/v1/bench/bare');
        if (bare.non2xx > 0) throw new Error(`${bare.non2xx} bare requests failed`);
        const real = await load('/v1/memories?async=true');
        if (real.non2xx > 0) throw new Error(`${real.non2xx} requests failed`);
        figures.bare.push(bare.requests.average);
        figures.bareP99.push(bare.latency.p99);
        figures.rps.push(real.requests.average);
        figures.p50.push(real.latency.p50);
        figures.p99.push(real.latency.p99);
        await queue.obliterate({ force: true });

        // The same payloads added straight to the queue, 50 at a time, from one process.
        const data = { user_id: 'u1', conversation: conversation(0), received_at: new Date().toISOString() };
        const total = 10_000;
        const t0 = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: CONNECTIONS }, async () => {
            while (next < total) {
              const id = next++;
              await queue.add(INGEST_QUEUE.jobName, { ...data, conversation: conversation(id) }, { jobId: `raw-${run}-${id}` });
            }
          }),
        );
        figures.raw.push(total / ((performance.now() - t0) / 1000));
        await queue.obliterate({ force: true });
      }
    } finally {
      await queue.close();
      redis.disconnect();
    }
    return {
      bench: 'api-ingest',
      figures: [
        figure('POST /v1/memories?async=true', 'req/s', figures.rps),
        figure('bare POST, same body and middleware', 'req/s', figures.bare),
        figure('ingest / bare POST', '×', figures.rps.map((r, i) => r / figures.bare[i]!), { value: 0.65, better: 'higher' }),
        figure('ingest p50 latency', 'ms', figures.p50),
        figure('ingest p99 latency', 'ms', figures.p99, { value: 30, better: 'lower' }),
        figure('bare POST p99 latency', 'ms', figures.bareP99),
        figure('raw queue.add, one process', 'adds/s', figures.raw),
        figure('API peak RSS', 'MB', [peakRssMb(api.child.pid!) ?? NaN]),
      ],
      notes: [`${CONNECTIONS} connections, ${SECONDS} s per route per run, one API process; each request a new 10-message conversation; rate limits on, with quotas no run reaches`],
    };
  });
}
