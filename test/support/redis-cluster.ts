import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually';
import { makeTempDir, removeTempDir } from './temp-dir';

const run = promisify(execFile);

/** Whether a port is free on loopback now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

/**
 * A real three-master Redis Cluster of the test's own, on loopback ports
 * and a temp directory, without persistence. `start` resolves once every
 * node reports cluster_state:ok; `stop` kills the servers and removes the
 * directory. `nodes` is `host:port,…` as REDIS_CLUSTER_NODES takes it.
 */
export class RedisCluster {
  readonly ports: number[] = [];
  private readonly children: ChildProcess[] = [];
  private dir = '';

  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** Why this machine cannot run a cluster (redis-server or redis-cli --cluster missing), or null when it can. */
  static async unsupported(): Promise<string | null> {
    try {
      await run('redis-server', ['--version']);
    } catch (err) {
      return `redis-server is not available (${(err as Error).message.trim()})`;
    }
    // `redis-cli --cluster help` prints the commands and exits 1.
    const help = await run('redis-cli', ['--cluster', 'help']).then(
      ({ stdout, stderr }) => stdout + stderr,
      (err: { stdout?: string; stderr?: string; message: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message,
    );
    return /create\s+host1:port1/.test(help) ? null : `redis-cli has no --cluster create (${help.trim().split('\n')[0]})`;
  }

  async start(): Promise<void> {
    this.dir = makeTempDir('cluster');
    const taken = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      taken.add(port).add(port + 10_000);
      this.ports.push(port);
    }
    await Promise.all(this.ports.map((port) => this.startNode(port)));
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await eventually(
      async () => {
        for (const port of this.ports) {
          const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
          if (!/cluster_state:ok/.test(stdout)) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  private startNode(port: number): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
        '--dir', this.dir,
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.children.push(child);
    return new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`redis-server on ${port} exited (${code}): ${output}`)));
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.removeAllListeners('exit');
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.children.length = 0;
    if (this.dir) removeTempDir(this.dir);
  }
}
