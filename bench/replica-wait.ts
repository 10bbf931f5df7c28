import fs from 'node:fs';
import path from 'node:path';
import { OwnRedis } from '../test/support/own-redis';
import { figure, type BenchResult } from './harness';
import { apiKey, freePort, RUNS, start, withSetup } from './setup';
import { conversationLoad } from './workloads';

const CONNECTIONS = 50;
const SECONDS = 8;

/**
 * What durable acceptance costs: POST /v1/memories?async=true against a
 * primary with one replica, the API answering 202 at once
 * (MNEMO_REDIS_WAIT_REPLICAS=0) and only once the replica holds the job
 * (=1, WAIT). Both API processes run against the same pair, one after the
 * other in each run.
 */
export async function replicaWait(): Promise<BenchResult> {
  return withSetup('replica-wait', async ({ prefix, dir, started }) => {
    const sub = (name: string) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      return d;
    };
    const primary = new OwnRedis(await freePort(), sub('primary'), ['--appendfsync', 'everysec']);
    await primary.start();
    const replica = new OwnRedis(await freePort(), sub('replica'), ['--appendfsync', 'everysec', '--replicaof', '127.0.0.1', String(primary.port)]);
    await replica.start();
    const figures = { off: { rps: [] as number[], p50: [] as number[], p99: [] as number[] }, on: { rps: [] as number[], p50: [] as number[], p99: [] as number[] } };
    try {
      for (const mode of ['off', 'on'] as const) {
        const port = await freePort();
        const env = {
          PORT: String(port),
          HOST: '127.0.0.1',
          REDIS_URL: primary.url,
          MNEMO_QUEUE_PREFIX: `${prefix}-${mode}`,
          MNEMO_DATA_DIR: sub(`data-${mode}`),
          MNEMO_REDIS_WAIT_REPLICAS: mode === 'on' ? '1' : '0',
          MNEMO_RATE_LIMIT_STORE: '100000000',
          MNEMO_RATE_LIMIT_WRITE: '100000000',
          MNEMO_BACKPRESSURE_MAX_WAITING: '10000000',
        };
        const api = await start('api', env, started);
        const key = await apiKey('bench', env, 'service');
        for (let run = 0; run < RUNS; run++) {
          const result = await conversationLoad(`http://127.0.0.1:${port}/v1/memories?async=true`, key, CONNECTIONS, SECONDS);
          if (result.non2xx > 0) throw new Error(`${result.non2xx} requests failed with WAIT ${mode}`);
          figures[mode].rps.push(result.requests.average);
          figures[mode].p50.push(result.latency.p50);
          figures[mode].p99.push(result.latency.p99);
        }
        await api.stop();
      }
    } finally {
      await replica.stop();
      await primary.stop();
    }
    return {
      bench: 'replica-wait',
      figures: [
        figure('202 at once: req/s', 'req/s', figures.off.rps),
        figure('202 after the replica acks (WAIT): req/s', 'req/s', figures.on.rps),
        figure('202 at once: p50', 'ms', figures.off.p50),
        figure('WAIT: p50', 'ms', figures.on.p50),
        figure('202 at once: p99', 'ms', figures.off.p99),
        figure('WAIT: p99', 'ms', figures.on.p99),
      ],
      notes: [`${CONNECTIONS} connections, ${SECONDS} s per mode per run, one API process, primary and replica on loopback (AOF everysec); each request a new 10-message conversation`],
    };
  });
}
