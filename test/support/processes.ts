import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

const ENTRY = {
  api: 'apps/api/dist/main.js',
  worker: 'apps/worker/dist/main.js',
  cli: 'apps/cli/dist/main.js',
} as const;

export function assertBuilt(): void {
  for (const entry of Object.values(ENTRY)) {
    if (!fs.existsSync(path.join(ROOT, entry))) {
      throw new Error(`${entry} is missing: run "npm run build" (npm test does it) before the e2e tests`);
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A started mnemo process with its output kept for assertions and failure reports. */
export class MnemoProcess {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} in ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends the signal and waits for exit, escalating to SIGKILL after the bound. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The built entry point of a process, for tests that start it some other way (on another test host). */
export function entryPath(kind: keyof typeof ENTRY): string {
  return path.join(ROOT, ENTRY[kind]);
}

export function startProcess(kind: 'api' | 'worker', env: Record<string, string>): MnemoProcess {
  const child = spawn(process.execPath, [ENTRY[kind]], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new MnemoProcess(kind, child);
}

/** The CLI as a child process, its output collected: to watch, interrupt, or await. */
export function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [ENTRY.cli, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs the CLI to completion; resolves with stdout, rejects with its output on failure. */
export async function runCli(args: string[], env: Record<string, string>): Promise<string> {
  const run = spawnCli(args, env);
  const code = await run.exited;
  const { stdout, stderr } = run.output();
  if (code !== 0) throw new Error(`mnemo ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout.trim();
}

export interface Services {
  base: string;
  env: Record<string, string>;
  api: MnemoProcess;
  worker: MnemoProcess;
  /** A new key for a user, made with the CLI as a user would. */
  createKey(userId: string, role?: 'user' | 'service'): Promise<string>;
  stop(): Promise<void>;
}

/** The API and one worker as separate processes on a free port, with the given extra environment. */
export async function startServices(env: Record<string, string>): Promise<Services> {
  assertBuilt();
  const port = await freePort();
  const fullEnv = { PORT: String(port), HOST: '127.0.0.1', ...env };
  const api = startProcess('api', fullEnv);
  const worker = startProcess('worker', fullEnv);
  await Promise.all([api.waitForOutput(/api listening/), worker.waitForOutput(/worker ready/)]);
  return {
    base: `http://127.0.0.1:${port}`,
    env: fullEnv,
    api,
    worker,
    createKey: (userId, role = 'user') => runCli(['keys', 'create', '--user', userId, '--role', role], fullEnv),
    stop: async () => {
      await Promise.all([api.stop(), worker.stop()]);
    },
  };
}
