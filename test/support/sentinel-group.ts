import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { OwnRedis } from './own-redis';
import { freePort } from './processes';

export const MASTER_NAME = 'mnemo-test';

/**
 * A primary, one replica and three Sentinels, all real redis-server
 * processes on loopback ports of the test's own, as a small production
 * deployment runs them. Sentinels declare the primary down after one second
 * and need two of three to agree, so a killed primary is replaced in a few
 * seconds.
 */
export class SentinelGroup {
  primary!: OwnRedis;
  replica!: OwnRedis;
  readonly sentinelPorts: number[] = [];
  private readonly sentinels: ChildProcess[] = [];

  constructor(private readonly dir: string) {}

  /** REDIS_SENTINELS for mnemo's processes. */
  get sentinelList(): string {
    return this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(): Promise<void> {
    const sub = (name: string) => {
      const d = path.join(this.dir, name);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    this.primary = new OwnRedis(await freePort(), sub('primary'));
    await this.primary.start();
    this.replica = new OwnRedis(await freePort(), sub('replica'), ['--replicaof', '127.0.0.1', String(this.primary.port)]);
    await this.replica.start();
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = sub(`sentinel-${i}`);
      // Sentinel rewrites its config file as it learns the group, so each needs its own, writable.
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${this.primary.port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.sentinels.push(child);
      this.sentinelPorts.push(port);
      await new Promise<void>((resolve, reject) => {
        let output = '';
        child.stdout!.on('data', (d: Buffer) => {
          output += d.toString();
          if (/Sentinel ID is|monitor master/.test(output)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`redis-sentinel exited (${code}): ${output}`)));
      });
    }
    // Ready when every Sentinel knows the replica and the two other Sentinels: only then can they agree on a failover.
    await this.untilEvery(async (sentinel) => {
      const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as unknown[];
      const others = (await sentinel.call('SENTINEL', 'SENTINELS', MASTER_NAME)) as unknown[];
      return replicas.length === 1 && others.length === 2;
    }, 'the Sentinels to find the replica and each other');
  }

  /** The address the Sentinels give for the master now. */
  async masterPort(): Promise<number> {
    const sentinel = new Redis({ port: this.sentinelPorts[0], host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await sentinel.connect();
      const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      sentinel.disconnect();
    }
  }

  /** Waits until every Sentinel names the replica as the master and it answers as one. */
  async untilPromoted(timeoutMs = 30_000): Promise<void> {
    await this.untilEvery(async (sentinel) => {
      const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return Number(port) === this.replica.port;
    }, 'the Sentinels to promote the replica', timeoutMs);
    const promoted = new Redis(this.replica.url, { maxRetriesPerRequest: 1 });
    try {
      const deadline = Date.now() + timeoutMs;
      while (!/role:master/.test(await promoted.info('replication'))) {
        if (Date.now() > deadline) throw new Error('the replica did not become a master');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      promoted.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.sentinels.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.removeAllListeners('exit');
            child.on('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await this.replica?.stop('SIGKILL');
    await this.primary?.stop('SIGKILL');
  }

  private async untilEvery(check: (sentinel: Redis) => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const clients = this.sentinelPorts.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answers = await Promise.all(clients.map((c) => check(c).catch(() => false)));
        if (answers.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  }
}
