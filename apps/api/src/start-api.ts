import type { Server } from 'node:http';
import type { Express, Router } from 'express';
import { ApiKeyRepository } from '@mnemo/auth';
import type { Closeable, Config, Logger } from '@mnemo/core';
import { createEmbedder, modelsInUse, type UserProfile } from '@mnemo/pipeline';
import { checkEvictionPolicy, createRedis, IngestQueue, redisTarget, JobControl, ProfileCache, ProfileQueue, reportConnection, waitForRedis } from '@mnemo/queue';
import { openMemoryStore } from '@mnemo/store';
import { createAdminApp, createApp } from './app';

/**
 * Starts the API: connects, opens the store, listens. Every resource is
 * pushed onto `resources` as soon as it exists, so a shutdown during
 * start-up closes what was opened. `extraRoutes` are served behind /v1's
 * authentication and rate limits (the benchmarks mount a bare route there).
 */
export async function startApi(config: Config, logger: Logger, resources: Closeable[], extraRoutes?: Router): Promise<void> {

  const redis = createRedis(redisTarget(config), 'command', 'mnemo-api');
  const blocking = createRedis(redisTarget(config), 'blocking', 'mnemo-api-events');
  reportConnection(redis, logger, 'api');
  reportConnection(blocking, logger, 'api-events');
  resources.push({ name: 'redis', close: async () => void (redis.disconnect(), blocking.disconnect()) });
  await waitForRedis(redis, redisTarget(config), config.MNEMO_REDIS_CONNECT_TIMEOUT_MS);
  await checkEvictionPolicy(redis, logger, config.MNEMO_REQUIRE_NOEVICTION);

  const embedder = await createEmbedder(config);
  if (embedder.close) resources.push({ name: 'embedder', close: () => embedder.close!() });
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

  const deps = { config, logger, redis, keys, ingest, store, embedder, profiles, profileCache, jobs, extraRoutes };
  await listen(createApp(deps), config.PORT, config.HOST, resources, 'http server');
  if (config.MNEMO_ADMIN_PORT) {
    await listen(createAdminApp(deps), config.MNEMO_ADMIN_PORT, config.HOST, resources, 'dashboard server');
    logger.info('dashboard listening', { url: `http://${config.HOST}:${config.MNEMO_ADMIN_PORT}/admin` });
  }
  logger.info('api listening', { url: `http://${config.HOST}:${config.PORT}`, store: store.kind, ...modelsInUse(config, embedder) });
}

/** Listens, and registers the server's graceful close. */
async function listen(app: Express, port: number, host: string, resources: Closeable[], name: string): Promise<void> {
  // Express 5 hands a failed listen to the callback: without this check a taken port would look like success.
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(listenError(err, port)) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  resources.push({
    name,
    close: () =>
      new Promise<void>((resolve) => {
        // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  });
}

/** A failed listen as advice: the usual cause is another process on the port. */
function listenError(err: Error, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} is in use; set PORT`, { cause: err });
  if (code === 'EACCES') return new Error(`port ${port} needs privileges this process lacks; set PORT`, { cause: err });
  return new Error(`cannot listen on port ${port}: ${err.message}`, { cause: err });
}

