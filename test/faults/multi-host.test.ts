import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { INGEST_QUEUE } from '@mnemo/queue';
import { QdrantMemoryStore } from '@mnemo/store';
import { writeBookHistory } from '../support/chat-exports';
import { record, until } from '../support/fault-services';
import { FakeQdrant } from '../support/fake-qdrant';
import { entryPath, MnemoProcess, ROOT, runCli, spawnCli } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { hostsUnavailable, TestHosts } from '../support/test-hosts';

jest.setTimeout(900_000);

const TOTAL = 2_000;
const USERS = 20;
const REDIS_PORT = 6390;
const API_PORT = 8080;

const unavailable = hostsUnavailable();
if (unavailable && !process.env.CI) console.warn(`skipping the multi-host test: ${unavailable}`);
// CI provides namespaces: there, their absence is a failure, not a skip.
const maybe = unavailable && !process.env.CI ? describe.skip : describe;

/**
 * mnemo spread over four hosts (network namespaces): Redis on one, the API
 * on another, a worker on each of two more, and the memories in the store
 * a deployment across hosts would use, the Qdrant adapter against the
 * loopback Qdrant in the test's own namespace. 2,000 conversations are
 * imported through the API; one worker host vanishes mid-run. Every
 * conversation must end up stored once, and the dashboard must show the
 * jobs that host held stalled and recovered.
 */
maybe('workers on several hosts, one of them lost mid-import', () => {
  const hosts = new TestHosts();
  const qdrant = new FakeQdrant();
  const work = makeTempDir('multi-host');
  const processes: MnemoProcess[] = [];
  let env: Record<string, string>;

  const onHost = (host: string, kind: 'api' | 'worker', extra: Record<string, string> = {}) => {
    const child = hosts.spawn(host, process.execPath, [entryPath(kind)], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', LOG_FORMAT: 'json', ...env, ...extra } });
    const p = new MnemoProcess(`${kind}@${host}`, child);
    processes.push(p);
    return p;
  };

  beforeAll(async () => {
    if (unavailable) throw new Error(unavailable);
    hosts.create(['redis', 'api', 'worker-a', 'worker-b']);
    await qdrant.start(hosts.gateway);

    const redis = new MnemoProcess(
      'redis@redis',
      hosts.spawn('redis', 'redis-server', ['--port', String(REDIS_PORT), '--bind', hosts.address('redis'), '--protected-mode', 'no', '--save', '', '--appendonly', 'no'], { env: process.env }),
    );
    processes.push(redis);
    await redis.waitForOutput(/Ready to accept connections/);

    env = {
      REDIS_URL: `redis://${hosts.address('redis')}:${REDIS_PORT}`,
      MNEMO_QUEUE_PREFIX: 'mnemo',
      MNEMO_STORE: 'qdrant',
      QDRANT_URL: qdrant.url,
      // Data dirs are per host; with Qdrant the store is not in them.
      MNEMO_DATA_DIR: path.join(work, 'data'),
      // A lost host's jobs are handed on after 5 s, not the default 30.
      MNEMO_JOB_LOCK_MS: '5000',
      MNEMO_USER_LEASE_MS: '5000',
      MNEMO_WORKER_CONCURRENCY: '4',
    };
    // The API first: it creates the collection the workers then find.
    await onHost('api', 'api', { PORT: String(API_PORT), HOST: hosts.address('api') }).waitForOutput(/api listening/, 30_000);
    await Promise.all(['worker-a', 'worker-b'].map((h) => onHost(h, 'worker').waitForOutput(/worker ready/, 30_000)));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    hosts.destroy();
    await qdrant.stop();
    removeTempDir(work);
  });

  it('stores every conversation once, and the dashboard shows the lost host\'s jobs recovered', async () => {
    const base = `http://${hosts.address('api')}:${API_PORT}`;
    // The CLI runs in the test's namespace, an operator's machine on the same network.
    const key = (await runCli(['keys', 'create', '--user', 'importer', '--role', 'service'], env)).split('\n')[0]!;
    const adminKey = (await runCli(['keys', 'create', '--user', 'ops', '--role', 'admin'], env)).split('\n')[0]!;
    const file = path.join(work, 'history.jsonl');
    writeBookHistory(file, TOTAL, USERS);
    const started = Date.now();
    const importer = spawnCli(['import', file, '--url', base, '--key', key, '--batch-size', '50', '--concurrency', '4', '--wait', '--state', path.join(work, 'state')], env);

    const redis = new Redis(env.REDIS_URL!);
    const queue = new Queue(INGEST_QUEUE.name, { connection: redis, prefix: env.MNEMO_QUEUE_PREFIX });
    try {
      // Mid-run, while worker-b holds jobs: its host goes, with them. Workers are named host:pid, and a job names
      // the worker that took it, so the moment is seen, not guessed (a worker between jobs would leave nothing to recover).
      const workerB = `:${processes.find((p) => p.name === 'worker@worker-b')!.child.pid}`;
      const progress = async () => ({
        completed: await queue.getCompletedCount(),
        heldByB: (await queue.getJobs(['active'])).filter((j) => j.processedBy?.endsWith(workerB)).length,
      });
      await until(progress, (p) => p.completed >= TOTAL / 4 && p.heldByB > 0, 'a quarter of the import done, with worker-b holding jobs', 300_000);
      const removedAt = Date.now();
      const killed = hosts.remove('worker-b');

      expect(await importer.exited).toBe(0);
      const report = JSON.parse(importer.output().stdout) as Record<string, number | boolean>;
      expect(report).toMatchObject({ rejected: 0, completed: TOTAL, failed: 0, memories: TOTAL, interrupted: false });
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
      expect(counts).toMatchObject({ completed: TOTAL, failed: 0, waiting: 0, active: 0, delayed: 0 });

      // Once each: one memory per conversation, none twice.
      const store = await QdrantMemoryStore.open({ url: qdrant.url, collection: 'mnemo_memories', dimension: 100 });
      let memories = 0;
      try {
        for (let u = 0; u < USERS; u++) {
          const count = await store.count(`reader-${u}`);
          expect(count).toBe(TOTAL / USERS);
          memories += count;
        }
      } finally {
        await store.close();
      }

      const overview = (await (await fetch(`${base}/admin/api/overview`, { headers: { 'x-api-key': adminKey } })).json()) as { stalled: { total: number } };
      expect(overview.stalled.total).toBeGreaterThanOrEqual(1);
      record('multi-host', {
        hosts: 4,
        conversations: TOTAL,
        accepted: Number(report.accepted) - Number(report.duplicates),
        completed: counts.completed,
        memories,
        duplicates: memories - TOTAL,
        worker_host_removed_after_completed: TOTAL / 4,
        processes_killed_with_it: killed,
        stalled_recovered: overview.stalled.total,
        import_seconds: Math.round((Date.now() - started) / 1000),
        done_after_removal_seconds: Math.round((Date.now() - removedAt) / 1000),
      });
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
