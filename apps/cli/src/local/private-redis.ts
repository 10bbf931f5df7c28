import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';

/** Whether a Redis answers PING at the URL within the bound. */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Whether redis-server can be run from PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A URL's host is this machine, so a Redis started here is the one it names. */
export function isLocalRedisUrl(url: string): boolean {
  const { hostname, protocol } = new URL(url);
  return protocol === 'redis:' && ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname);
}

export interface PrivateRedis {
  readonly dir: string;
  readonly port: number;
  /** Shuts it down (SIGTERM: Redis flushes its append-only file first) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server for this mnemo alone: bound to loopback, its data
 * under `dir` with the append-only file on (queued jobs survive a restart)
 * and `noeviction` (BullMQ must never lose a key). It runs in its own
 * process group so the terminal's Ctrl-C reaches the API and workers
 * first; it is stopped after they have handed their jobs back.
 */
export async function startPrivateRedis(port: number, dir: string, readyTimeoutMs = 10_000): Promise<PrivateRedis> {
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', path.resolve(dir), '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', ''];
  const child: ChildProcess = spawn('redis-server', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
