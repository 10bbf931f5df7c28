import { OwnRedis } from '../support/own-redis';
import { assertBuilt, freePort, startProcess, type MnemoProcess } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(60_000);

describe('a worker reports its health on MNEMO_WORKER_PORT', () => {
  const dataDir = makeTempDir('worker-health');
  const redisDir = makeTempDir('worker-health-redis');
  let redis: OwnRedis | undefined;
  let worker: MnemoProcess | undefined;
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await redis?.stop('SIGKILL');
    removeTempDir(dataDir);
    removeTempDir(redisDir);
  });

  const ready = async (base: string) => {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const until = async (base: string, status: number) => {
    for (let i = 0; i < 100; i++) {
      const r = await ready(base);
      if (r.status === status) return r;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`readyz never answered ${status}`);
  };

  it('is ready while consuming, not ready while Redis is gone, and ready again when it returns', async () => {
    assertBuilt();
    const healthPort = await freePort();
    const base = `http://127.0.0.1:${healthPort}`;
    redis = new OwnRedis(await freePort(), redisDir);
    await redis.start();
    worker = startProcess('worker', { REDIS_URL: redis.url, MNEMO_DATA_DIR: dataDir, MNEMO_WORKER_PORT: String(healthPort) });
    await worker.waitForOutput(/worker ready/);

    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const up = await until(base, 200);
    expect(up.body).toEqual({ status: 'ready', checks: { redis: { ok: true }, store: { ok: true }, consuming: { ok: true } } });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('process_resident_memory_bytes');
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    await redis.stop('SIGKILL');
    const down = await until(base, 503);
    expect(down.body).toMatchObject({ status: 'not_ready', checks: { redis: { ok: false }, consuming: { ok: false } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200); // alive, just not ready

    await redis.start();
    expect((await until(base, 200)).body.status).toBe('ready');
  });
});
