import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { deletePrefix, uniquePrefix, TEST_REDIS_URL } from '../support/redis';
import { assertBuilt, freePort, MnemoProcess, ROOT, spawnCli, startProcess } from '../support/processes';

jest.setTimeout(60_000);

/** Holds a port the way another program would. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('start-up', () => {
  beforeAll(() => assertBuilt());
  let port: number;
  let holder: net.Server;
  beforeEach(async () => {
    port = await freePort();
    holder = await occupy(port);
  });
  afterEach(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  const env = () => ({ PORT: String(port), HOST: '127.0.0.1', REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: uniquePrefix('startup') });

  // Issue 13, also found: with the port taken, the API logged "listening" and kept running with nothing bound.
  it('exits non-zero and says so when the port is in use', async () => {
    const api = startProcess('api', env());
    const code = await api.exited;
    expect(code).not.toBe(0);
    expect(api.output).toContain(`port ${port} is in use; set PORT`);
    expect(api.output).not.toMatch(/api listening/);
  });

  it('npm start stops the worker too when the API cannot start', async () => {
    // npm start without its build step: the same concurrently command line.
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const command = script.replace(/^npm run build && /, '');
    const child = spawn(command, { cwd: ROOT, shell: true, env: { ...process.env, ...env(), NODE_ENV: 'test', PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = new MnemoProcess('npm start', child);
    const code = await started.exited;
    expect(code).not.toBe(0);
    expect(started.output).toContain(`port ${port} is in use; set PORT`);
    expect(started.output).toMatch(/worker.*exited/);
  });
});

// Issue 13, also found: the --key default showed the real $MNEMO_API_KEY in the help.
it('mnemo import --help does not print $MNEMO_API_KEY', async () => {
  assertBuilt();
  const run = spawnCli(['import', '--help'], { MNEMO_API_KEY: 'mnemo_secret_from_the_environment' });
  expect(await run.exited).toBe(0);
  const { stdout, stderr } = run.output();
  expect(stdout).toMatch(/--key <key>/);
  expect(stdout + stderr).not.toContain('mnemo_secret_from_the_environment');
});

it('with MNEMO_ADMIN_PORT serves the dashboard on that port only', async () => {
  assertBuilt();
  const [port, adminPort] = [await freePort(), await freePort()];
  const api = startProcess('api', { PORT: String(port), MNEMO_ADMIN_PORT: String(adminPort), HOST: '127.0.0.1', REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: uniquePrefix('admin-port') });
  try {
    await api.waitForOutput(/api listening/);
    expect(api.output).toContain(`dashboard listening`);
    const publicSide = await fetch(`http://127.0.0.1:${port}/admin/login`);
    expect(publicSide.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${adminPort}/admin/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('<form');
    // The dashboard port is the dashboard's alone: no /v1 there.
    expect((await fetch(`http://127.0.0.1:${adminPort}/v1/memories`)).status).toBe(404);
  } finally {
    await api.stop();
  }
});

describe('mnemo start (npm start) with no Redis running', () => {
  beforeAll(() => assertBuilt());
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-start-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts a private redis-server under the data directory, serves, and stops it on exit', async () => {
    const [port, redisPort] = [await freePort(), await freePort()];
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const child = spawn(process.execPath, [path.join(ROOT, 'apps/cli/dist/main.js'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, MNEMO_DATA_DIR: dataDir, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new MnemoProcess('mnemo start', child);
    try {
      await started.waitForOutput(/api listening/, 30_000);
      await started.waitForOutput(/worker ready/, 30_000);
      expect(started.output).toContain(`no Redis answered at ${redisUrl}; started a private redis-server`);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const redis = new Redis(redisUrl);
      try {
        expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      } finally {
        redis.disconnect();
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await started.exited).toBe(0);
    expect(started.output).toContain(`stopped the private Redis (its data stays in ${path.join(dataDir, 'redis')})`);
    // Stopped: nothing answers any more, and the append-only data is on disk for the next start.
    await expect(new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null }).connect()).rejects.toThrow();
    expect(fs.readdirSync(path.join(dataDir, 'redis'))).toEqual(expect.arrayContaining([expect.stringMatching(/^appendonly/)]));
  });

  it('says in one line how to get Redis when redis-server is not installed', async () => {
    const redisPort = await freePort();
    // A PATH with node and a shell but no redis-server.
    const bin = path.join(dataDir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const run = spawn(process.execPath, [path.join(ROOT, 'apps/cli/dist/main.js'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, PATH: bin, REDIS_URL: `redis://127.0.0.1:${redisPort}`, MNEMO_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new MnemoProcess('mnemo start', run);
    expect(await started.exited).toBe(1);
    const lines = started.output.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^No Redis answers at redis:\/\/127\.0\.0\.1:\d+ and redis-server is not installed: install it \(Debian\/Ubuntu: sudo apt-get install redis-server/)]);
  });
});

it('mnemo keys create names the queue prefix the key lives under', async () => {
  assertBuilt();
  const prefix = uniquePrefix('keys-prefix');
  const run = spawnCli(['keys', 'create', '--user', 'alice'], { REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix });
  expect(await run.exited).toBe(0);
  const { stdout, stderr } = run.output();
  expect(stdout.trim()).toMatch(/^mnemo_\S+$/);
  expect(stderr).toContain(`for user "alice" (user) under MNEMO_QUEUE_PREFIX "${prefix}"`);
  await deletePrefix(prefix);
});

describe('start-up names the models in use', () => {
  const prefix = uniquePrefix('startup-models');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-startup-models-'));
  afterAll(async () => {
    await deletePrefix(prefix);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const startedWith = async (extra: Record<string, string>) => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: fs.mkdtempSync(path.join(dataDir, 'run-')), ...extra };
    const processes = [startProcess('api', env), startProcess('worker', env)];
    try {
      await Promise.all([processes[0]!.waitForOutput(/api listening/), processes[1]!.waitForOutput(/worker ready/)]);
      return processes.map((p) => p.output.split('\n').filter((l) => /"(api listening|worker ready)"/.test(l)).map((l) => JSON.parse(l) as Record<string, unknown>)[0]);
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  };

  it('offline extraction and word vectors by default; one variable switches to an OpenAI-compatible model server', async () => {
    for (const line of await startedWith({})) {
      expect(line).toMatchObject({ extractor: 'offline', embedder: 'words', vector_size: 100 });
      expect(line).not.toHaveProperty('extraction_model');
    }
    // Start-up makes no model call: nothing needs to listen at the base URL.
    for (const line of await startedWith({ MNEMO_LLM_PROVIDER: 'openai-compatible', MNEMO_LLM_BASE_URL: 'http://127.0.0.1:9/v1', MNEMO_EMBEDDER: 'hashing' })) {
      expect(line).toMatchObject({ extractor: 'openai-compatible', extraction_model: 'qwen2.5:7b-instruct at http://127.0.0.1:9/v1', embedder: 'hashing', vector_size: 256 });
    }
  });
});
