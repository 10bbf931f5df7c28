import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig } from '@mnemo/core';
import { createRedis, IngestQueue, waitForRedis } from '@mnemo/queue';
import { freePort, MnemoProcess, ROOT, runCli, startProcess } from '../test/support/processes';
import { deletePrefix, uniquePrefix } from '../test/support/redis';
import { sleep } from './harness';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export interface Setup {
  prefix: string;
  dir: string;
  started: MnemoProcess[];
}

/** A temp dir, a queue prefix, and everything started, cleaned up after. */
export async function withSetup<T>(label: string, fn: (ctx: Setup) => Promise<T>): Promise<T> {
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
export async function start(kind: 'api' | 'worker', env: Record<string, string>, started: MnemoProcess[]): Promise<MnemoProcess> {
  const extra: Record<string, string> = kind === 'worker' ? { MNEMO_WORKER_PORT: String(await freePort()) } : {};
  const p = startProcess(kind, { LOG_LEVEL: 'warn', REDIS_URL, ...env, ...extra });
  started.push(p);
  const base = kind === 'api' ? `http://127.0.0.1:${env.PORT}` : `http://127.0.0.1:${extra.MNEMO_WORKER_PORT}`;
  await waitForHttp(base, kind === 'api' ? '/healthz' : '/readyz', p);
  return p;
}

/** The API as `main.js` starts it, plus the bare route of bench/servers/api-with-bare-route.ts. */
export async function startApiWithBareRoute(env: Record<string, string>, started: MnemoProcess[]): Promise<MnemoProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'servers', 'api-with-bare-route.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', REDIS_URL, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = new MnemoProcess('api', child);
  started.push(p);
  await waitForHttp(`http://127.0.0.1:${env.PORT}`, '/healthz', p);
  return p;
}

export async function waitForHttp(base: string, route = '/healthz', p?: MnemoProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (p && p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.output}`);
    const ok = await fetch(`${base}${route}`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${base}${route} did not come up`);
}

/** An API key for `user`, made by the CLI as an operator would. */
export async function apiKey(user: string, env: Record<string, string>, role?: 'service'): Promise<string> {
  return (await runCli(['keys', 'create', '--user', user, ...(role ? ['--role', role] : [])], env)).split('\n')[0]!;
}

/** An IngestQueue on its own connections for the duration of `fn`. */
export async function withIngest<T>(env: Record<string, string>, fn: (ingest: IngestQueue, command: Redis) => Promise<T>): Promise<T> {
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
export async function completion(ingest: IngestQueue, total: number, pollMs = 50): Promise<void> {
  for (;;) {
    const counts = await ingest.queue.getJobCounts('completed', 'failed');
    if (counts.failed) throw new Error(`${counts.failed} jobs failed`);
    if ((counts.completed ?? 0) >= total) return;
    await sleep(pollMs);
  }
}

/** Redis's used_memory, in bytes. */
export async function redisUsedMemory(command: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await command.info('memory'))?.[1]);
}

export { freePort };
