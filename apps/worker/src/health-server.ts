import http from 'node:http';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MemoryStore } from '@mnemo/store';

async function within(probe: () => Promise<unknown>, ms: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)))]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A worker's own small HTTP server (MNEMO_WORKER_PORT): /healthz (alive),
 * /readyz (Redis and the store answer, and the ingest worker is consuming:
 * running, not paused, connected) and /metrics (this process's CPU, memory
 * and event loop). Pipeline metrics are not here: workers add them up in
 * Redis and every API process serves them for the whole fleet.
 */
export function startHealthServer(port: number, { redis, store, ingest }: { redis: Redis; store: MemoryStore; ingest: Worker }): Promise<http.Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const route = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return send(405, { status: 'error', error: { code: 'VALIDATION_ERROR', message: 'GET only' } });
    if (route === '/healthz') return send(200, { status: 'ok' });
    if (route === '/metrics') {
      registry.metrics().then((text) => send(200, text, registry.contentType), (err: Error) => send(500, { error: err.message }));
      return;
    }
    if (route === '/readyz') {
      void Promise.all([within(() => redis.ping(), 1_000), within(() => store.ping(), 1_000)]).then(([redisCheck, storeCheck]) => {
        const consuming = { ok: ingest.isRunning() && !ingest.isPaused() && redis.status === 'ready' };
        const ready = redisCheck.ok && storeCheck.ok && consuming.ok;
        send(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: { redis: redisCheck, store: storeCheck, consuming } });
      });
      return;
    }
    send(404, { status: 'error', error: { code: 'NOT_FOUND', message: `No route ${route}` } });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
