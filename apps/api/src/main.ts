import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { ApiKeyRepository } from '@mnemo/auth';
import { createLogger, loadConfig, onShutdown, type Closeable, type Config } from '@mnemo/core';
import { createEmbedder, type UserProfile } from '@mnemo/pipeline';
import { checkEvictionPolicy, createRedis, IngestQueue, JobControl, ProfileCache, ProfileQueue, reportConnection, waitForRedis } from '@mnemo/queue';
import { openMemoryStore } from '@mnemo/store';
import { createApp } from './app';

/** API process: authenticates, validates, enqueues and answers. */
async function main(config: Config): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'api' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);

  const redis = createRedis(config.REDIS_URL, 'command', 'mnemo-api');
  const blocking = createRedis(config.REDIS_URL, 'blocking', 'mnemo-api-events');
  reportConnection(redis, logger, 'api');
  reportConnection(blocking, logger, 'api-events');
  resources.push({ name: 'redis', close: async () => void (redis.disconnect(), blocking.disconnect()) });
  await waitForRedis(redis, config.REDIS_URL, config.MNEMO_REDIS_CONNECT_TIMEOUT_MS);
  await checkEvictionPolicy(redis, logger, config.MNEMO_REQUIRE_NOEVICTION);

  const embedder = await createEmbedder(config);
  const store = await openMemoryStore(config, embedder);
  resources.push({ name: 'store', close: () => store.close() });
  const ingest = new IngestQueue(config, redis, blocking, logger);
  resources.push({ name: 'ingest queue', close: () => ingest.close() });
  const profiles = new ProfileQueue(config, redis);
  resources.push({ name: 'profile queue', close: () => profiles.close() });
  const profileCache = new ProfileCache<UserProfile>(redis, config.MNEMO_QUEUE_PREFIX);
  const keys = new ApiKeyRepository(redis, config.MNEMO_QUEUE_PREFIX, config.MNEMO_API_KEYS);

  const jobs = new JobControl(redis, config.MNEMO_QUEUE_PREFIX);
  resources.push({ name: 'job control', close: () => jobs.close() });

  const app = createApp({ config, logger, redis, keys, ingest, store, embedder, profiles, profileCache, jobs });
  // Express 5 hands a failed listen to the callback: without this check a taken port would look like success.
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(listenError(err, config.PORT)) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  resources.push({
    name: 'http server',
    close: () =>
      new Promise<void>((resolve) => {
        // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  });
  logger.info('api listening', { url: `http://${config.HOST}:${config.PORT}`, store: store.kind });
}

/** A failed listen as advice: the usual cause is another process on the port. */
function listenError(err: Error, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} is in use; set PORT`, { cause: err });
  if (code === 'EACCES') return new Error(`port ${port} needs privileges this process lacks; set PORT`, { cause: err });
  return new Error(`cannot listen on port ${port}: ${err.message}`, { cause: err });
}

/**
 * With MNEMO_API_PROCESSES > 1 this process only starts the API processes,
 * which share the port, and stops them on SIGTERM or SIGINT. One that dies
 * stops the others and this one with an error, for the service manager to
 * restart them all.
 */
function supervise(config: Config): void {
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'api-primary' });
  let stopping = false;
  const running = () => Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
  const stop = (code: number) => {
    stopping = true;
    for (const w of running()) w!.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), config.MNEMO_SHUTDOWN_TIMEOUT_MS + 2_000).unref();
    const exitWhenDone = () => (running().length === 0 ? process.exit(code) : setTimeout(exitWhenDone, 50));
    exitWhenDone();
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error('api process exited; stopping the others', { pid: worker.process.pid, code, signal });
    stop(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping ? process.exit(1) : stop(0)));
  for (let i = 0; i < config.MNEMO_API_PROCESSES; i++) cluster.fork();
  logger.info('api processes started', { processes: config.MNEMO_API_PROCESSES });
}

function start(): Promise<void> {
  const config = loadConfig();
  if (config.MNEMO_API_PROCESSES > 1 && cluster.isPrimary) return Promise.resolve(supervise(config));
  return main(config);
}

start().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
