import type { Worker } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { ApiKeyRepository } from '@mnemo/auth';
import { createLogger, loadConfig, type Config, type IngestJobData, type IngestJobResult } from '@mnemo/core';
import { createEmbedder, type PipelineDeps, type Stage, type UserProfile } from '@mnemo/pipeline';
import { createRedis, IngestQueue, JobControl, LlmUsageTotals, ProfileCache, ProfileQueue, redisTarget, waitForRedis } from '@mnemo/queue';
import { SqliteMemoryStore } from '@mnemo/store';
import express from 'express';
import { createApp } from '../../apps/api/src/app';
import { STORE_EXAMPLE } from '../../apps/api/src/openapi/document';
import { OpenApiCheck } from './openapi-check';
import { startWorkers } from '../../apps/worker/src/start-workers';
import { deletePrefix, testRedisEnv, uniquePrefix } from './redis';
import { makeTempDir, removeTempDir } from './temp-dir';

export interface Stack {
  config: Config;
  /** The API, behind the OpenAPI answer check: what tests send requests to. */
  app: Express;
  /** The API app itself (to inspect its routes). */
  api: Express;
  ingest: IngestQueue;
  keys: ApiKeyRepository;
  store: SqliteMemoryStore;
  profiles: ProfileQueue;
  profileCache: ProfileCache<UserProfile>;
  usageTotals: LlmUsageTotals;
  jobs: JobControl;
  /** Starts an in-process worker, as the worker process does; stages default to the real pipeline. */
  startWorker(stages?: (deps: PipelineDeps) => Stage[]): Promise<Worker<IngestJobData, IngestJobResult>>;
  close(): Promise<void>;
}

/** Bootstrap keys are at least 24 characters (MNEMO_API_KEYS refuses shorter ones). */
export const USER_KEY = 'test-user-key-of-alice-0001';
export const OTHER_KEY = 'test-other-key-of-bob-0002';
export const SERVICE_KEY = 'test-service-key-of-svc-0003';
export const ADMIN_KEY = 'test-admin-key-of-ops-0004';

/** The API and (optionally) a worker in this process, on real Redis and a temp SQLite store. */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dataDir = makeTempDir('stack');
  const config = loadConfig({
    ...testRedisEnv(),
    MNEMO_DATA_DIR: dataDir,
    MNEMO_QUEUE_PREFIX: uniquePrefix('api'),
    MNEMO_API_KEYS: `${USER_KEY}:alice,${OTHER_KEY}:bob,${SERVICE_KEY}:svc:service,${ADMIN_KEY}:ops:admin`,
    MNEMO_JOB_BACKOFF_MS: '50',
    MNEMO_WORKER_CONCURRENCY: '2',
    LOG_LEVEL: 'error',
    ...env,
  });
  const logger = createLogger({ level: config.LOG_LEVEL, format: 'json', service: 'test' });
  // Tests provoke errors on purpose; MNEMO_TEST_LOGS=1 shows the logs when debugging one.
  logger.silent = !process.env.MNEMO_TEST_LOGS;
  const target = redisTarget(config);
  const redis = createRedis(target, 'command', 'test-api');
  const blocking = createRedis(target, 'blocking', 'test-events');
  // Like the API's start-up, wait for Redis; a stack aimed at a dead Redis just starts without it.
  await waitForRedis(redis, target, 2_000).catch(() => undefined);
  const embedder = await createEmbedder(config);
  const store = SqliteMemoryStore.open(dataDir, embedder.dimension);
  const ingest = new IngestQueue(config, redis, blocking, logger);
  const keys = new ApiKeyRepository(redis, config.MNEMO_QUEUE_PREFIX, config.MNEMO_API_KEYS);
  const profiles = new ProfileQueue(config, redis);
  const profileCache = new ProfileCache<UserProfile>(redis, config.MNEMO_QUEUE_PREFIX);
  const usageTotals = new LlmUsageTotals(redis, config.MNEMO_QUEUE_PREFIX);
  const jobs = new JobControl(redis, config.MNEMO_QUEUE_PREFIX);
  // Every answer of the in-process API is held to the OpenAPI document; close() reports any that is not.
  const openApi = new OpenApiCheck();
  const api = createApp({ config, logger, redis, keys, ingest, store, embedder, profiles, profileCache, jobs });
  const app = express().use(openApi.middleware, api);
  const connections: Redis[] = [];
  const closers: (() => Promise<void>)[] = [];

  return {
    config,
    app,
    api,
    ingest,
    keys,
    store,
    profiles,
    profileCache,
    usageTotals,
    jobs,
    async startWorker(stages) {
      const connection = createRedis(target, 'blocking', 'test-worker');
      connections.push(connection);
      const running = await startWorkers({ config, logger, connection, store, embedder, stages });
      closers.push(running.close);
      return running.ingest;
    },
    async close() {
      await Promise.all(closers.map((close) => close()));
      connections.forEach((c) => c.disconnect());
      await ingest.close();
      await profiles.close();
      await jobs.close();
      await deletePrefix(config.MNEMO_QUEUE_PREFIX);
      redis.disconnect();
      blocking.disconnect();
      await store.close();
      removeTempDir(dataDir);
      openApi.assertNone();
    },
  };
}

/** The store-memories example from MemSync's documentation: the one the OpenAPI document shows. */
export const MEMSYNC_EXAMPLE = STORE_EXAMPLE;
