import { Redis } from 'ioredis';
import { OwnRedis } from '../test/support/own-redis';
import { figure, type BenchResult } from './harness';
import { apiKey, freePort, RUNS, start, withSetup } from './setup';
import { conversation } from './workloads';

const JOBS = 500;

/** Sums INFO commandstats: every command Redis ran, and how many by name. */
async function commandCounts(redis: Redis): Promise<{ total: number; byName: Record<string, number> }> {
  const info = await redis.info('commandstats');
  const byName: Record<string, number> = {};
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    byName[match[1]!] = Number(match[2]);
    total += Number(match[2]);
  }
  return { total, byName };
}

/**
 * What one conversation costs Redis, end to end (API accept, worker
 * processing, the job kept for the default retention): commands run and
 * memory held, on a Redis of the bench's own so nothing else is counted.
 * Commands run inside Lua scripts (BullMQ's) count as one EVALSHA here:
 * INFO counts a script's inner calls too, which are reported apart.
 */
export async function redisCost(): Promise<BenchResult> {
  return withSetup('redis-cost', async ({ prefix, dir, started }) => {
    const redis = new OwnRedis(await freePort(), dir, ['--appendonly', 'no']);
    await redis.start();
    const admin = new Redis(redis.url);
    const figures = { commands: [] as number[], scripts: [] as number[], bytes: [] as number[] };
    let top: [string, number][] = [];
    try {
      const port = await freePort();
      const env = { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url, MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_RATE_LIMIT_STORE: '0', MNEMO_RATE_LIMIT_WRITE: '0' };
      await start('api', env, started);
      await start('worker', env, started);
      const key = await apiKey('bench', env, 'service');
      let n = 0;
      for (let run = 0; run < RUNS; run++) {
        const memoryBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
        await admin.config('RESETSTAT');
        const jobs: string[] = [];
        for (let i = 0; i < JOBS; i++) {
          const res = await fetch(`http://127.0.0.1:${port}/v1/memories?async=true`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body: JSON.stringify({ ...conversation(n++), user_id: `u${n % 50}` }),
          });
          if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
          jobs.push(((await res.json()) as { job_id: string }).job_id);
        }
        const completed = `${prefix}:ingest:completed`;
        while ((await admin.zcard(completed)) < JOBS * (run + 1)) await new Promise((r) => setTimeout(r, 200));
        const counts = await commandCounts(admin);
        // Idle workers poll and renew: counted too, as they are part of running a worker; over a few seconds they are a small share.
        const scripts = (counts.byName.evalsha ?? 0) + (counts.byName.eval ?? 0);
        figures.scripts.push(scripts / JOBS);
        figures.commands.push((counts.total - scripts) / JOBS);
        const memoryAfter = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
        figures.bytes.push((memoryAfter - memoryBefore) / JOBS);
        top = Object.entries(counts.byName).sort((a, b) => b[1] - a[1]).slice(0, 8);
      }
    } finally {
      admin.disconnect();
      await redis.stop();
    }
    return {
      bench: 'redis-cost',
      figures: [
        figure('Redis commands per conversation (incl. inside scripts, excl. the script calls)', 'cmds', figures.commands),
        figure('Lua script calls per conversation', 'calls', figures.scripts),
        figure('Redis memory held per completed conversation', 'bytes', figures.bytes),
      ],
      notes: [`${JOBS} 10-message conversations per run, 50 users, one API and one worker, default retention; busiest commands: ${top.map(([name, calls]) => `${name} ${calls}`).join(', ')}`],
    };
  });
}
