import { createLogger, loadConfig, onShutdown, type Closeable } from '@mnemo/core';
import { createEmbedder, modelsInUse } from '@mnemo/pipeline';
import { checkEvictionPolicy, createRedis, INGEST_QUEUE, redisTarget, reportConnection, waitForRedis } from '@mnemo/queue';
import { openMemoryStore } from '@mnemo/store';
import { startHealthServer } from './health-server';
import { startWorkers } from './start-workers';

/** Worker process: consumes the ingest, profile and batch queues. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'worker' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);

  const connection = createRedis(redisTarget(config), 'blocking', 'mnemo-worker');
  reportConnection(connection, logger, 'worker');
  resources.push({ name: 'redis', close: async () => void connection.disconnect() });
  await waitForRedis(connection, redisTarget(config), config.MNEMO_REDIS_CONNECT_TIMEOUT_MS);
  await checkEvictionPolicy(connection, logger, config.MNEMO_REQUIRE_NOEVICTION);

  const embedder = await createEmbedder(config);
  if (embedder.close) resources.push({ name: 'embedder', close: () => embedder.close!() });
  const store = await openMemoryStore(config, embedder);
  resources.push({ name: 'store', close: () => store.close() });

  const workers = await startWorkers({ config, logger, connection, store, embedder });
  resources.push({ name: 'workers', close: () => workers.close() });
  if (config.MNEMO_WORKER_PORT > 0) {
    const server = await startHealthServer(config.MNEMO_WORKER_PORT, { redis: connection, store, ingest: workers.ingest });
    resources.push({ name: 'health server', close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  }
  logger.info('worker ready', {
    queue: `${config.MNEMO_QUEUE_PREFIX}:${INGEST_QUEUE.name}`,
    concurrency: config.MNEMO_WORKER_CONCURRENCY,
    store: store.kind,
    ...modelsInUse(config, embedder),
    health_port: config.MNEMO_WORKER_PORT || null,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
