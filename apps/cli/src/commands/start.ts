import path from 'node:path';
import { Command } from 'commander';
import { concurrently } from 'concurrently';
import { colourWanted, loadConfig } from '@mnemo/core';
import { redisUnreachableMessage } from '@mnemo/queue';
import { isLocalRedisUrl, redisAnswers, redisServerInstalled, startPrivateRedis, type PrivateRedis } from '../local/private-redis';

const ENTRY = {
  api: path.resolve(__dirname, '../../../api/dist/main.js'),
  worker: path.resolve(__dirname, '../../../worker/dist/main.js'),
};

/**
 * `mnemo start` (what `npm start` runs): the API and one worker in this
 * terminal. When nothing answers on a local REDIS_URL and redis-server is
 * installed, a private one is started under the data directory and stopped
 * on exit, so `npm install && npm start` is the whole set-up.
 */
export function startCommand(): Command {
  return new Command('start').description('run the API and a worker here (and a private Redis when none answers)').action(async () => {
    const config = loadConfig();
    // Behind Sentinels the deployment has its own Redis: never start one here.
    // With Sentinels or a cluster, Redis is the operator's: never start a private one.
    const external = config.REDIS_SENTINELS.length > 0 || config.REDIS_CLUSTER_NODES.length > 0;
    const redis = external ? undefined : await ensureRedis(config.REDIS_URL, config.MNEMO_DATA_DIR);
    // The processes write into pipes: tell them whether a person reads the other end.
    const colour = { FORCE_COLOR: colourWanted() ? '1' : '0' };
    const { result } = concurrently(
      [
        { command: shellLine(process.execPath, ENTRY.api), name: 'api', prefixColor: 'blue', env: colour },
        { command: shellLine(process.execPath, ENTRY.worker), name: 'worker', prefixColor: 'magenta', env: colour },
      ],
      // One stopping stops the other: a half-running service is worse than a stopped one.
      { killOthersOn: ['failure', 'success'], prefix: 'name' },
    );
    const ok = await result.then(
      () => true,
      () => false,
    );
    if (redis) {
      await redis.stop();
      console.log(`mnemo: stopped the private Redis (its data stays in ${redis.dir})`);
    }
    process.exitCode = ok ? 0 : 1;
  });
}

/** A command line for the shell, quoting only what needs it (concurrently strips quotes around a whole line). */
function shellLine(...args: string[]): string {
  return args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** A Redis for the service: the configured one, else a private one started here, else advice and an error. */
async function ensureRedis(url: string, dataDir: string): Promise<PrivateRedis | undefined> {
  if (await redisAnswers(url)) return undefined;
  if (!isLocalRedisUrl(url)) throw new Error(redisUnreachableMessage(url));
  const port = Number(new URL(url).port || 6379);
  if (!redisServerInstalled()) {
    throw new Error(
      `No Redis answers at ${url} and redis-server is not installed: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.`,
    );
  }
  const redis = await startPrivateRedis(port, path.join(dataDir, 'redis'));
  console.log(`mnemo: no Redis answered at ${url}; started a private redis-server there (data in ${redis.dir}, AOF on, noeviction). It stops when mnemo stops.`);
  return redis;
}
