import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { MemoryStore } from '@mnemo/store';

async function check(probe: () => Promise<unknown>, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz: the process answers. /readyz: it can serve (Redis and the store answer). */
export function healthRouter({ redis, store }: { redis: Redis; store: MemoryStore }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [redisCheck, storeCheck] = await Promise.all([check(() => redis.ping(), 1_000), check(() => store.ping(), 1_000)]);
    const ready = redisCheck.ok && storeCheck.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { redis: redisCheck, store: storeCheck } });
  });
  return router;
}
