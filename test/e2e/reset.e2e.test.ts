import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SqliteMemoryStore } from '@mnemo/store';
import { assertBuilt, spawnCli } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(30_000);

describe('mnemo reset', () => {
  beforeAll(() => assertBuilt());
  let dataDir: string;
  let prefix: string;
  let neighbour: string;
  const redis = new Redis(TEST_REDIS_URL);
  beforeEach(async () => {
    dataDir = makeTempDir('reset');
    [prefix, neighbour] = [uniquePrefix('reset'), uniquePrefix('reset-other')];
    await SqliteMemoryStore.open(dataDir, 16).close();
    await redis.set(`${prefix}:apikey:one`, 'x');
    await redis.rpush(`${prefix}:bull:ingest:wait`, 'job');
    await redis.set(`${neighbour}:apikey:one`, 'kept');
  });
  afterEach(async () => {
    await Promise.all([deletePrefix(prefix), deletePrefix(neighbour)]);
    removeTempDir(dataDir);
  });
  afterAll(() => redis.disconnect());

  const env = () => ({ REDIS_URL: TEST_REDIS_URL, MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dataDir });
  const storeFile = () => path.join(dataDir, SqliteMemoryStore.FILE);

  it('deletes nothing without --yes when it cannot ask', async () => {
    const run = spawnCli(['reset'], env());
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(/would delete the embedded store .*memories\.db and 2 Redis keys under the prefix ".*" \(jobs, API keys, counters\); pass --yes/);
    expect(fs.existsSync(storeFile())).toBe(true);
    expect(await redis.exists(`${prefix}:apikey:one`, `${prefix}:bull:ingest:wait`)).toBe(2);
  });

  it('with --yes deletes the store and the prefix keys, and nothing of another prefix', async () => {
    const run = spawnCli(['reset', '--yes'], env());
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toMatch(/Deleted the embedded store .*memories\.db and 2 Redis keys\./);
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith(SqliteMemoryStore.FILE))).toEqual([]);
    expect(await redis.exists(`${prefix}:apikey:one`, `${prefix}:bull:ingest:wait`)).toBe(0);
    expect(await redis.get(`${neighbour}:apikey:one`)).toBe('kept');
  });
});
