import express, { type Express, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { ApiKeyRepository } from '@mnemo/auth';
import { buildTaxonomy, usesModel, type Config, type Logger } from '@mnemo/core';
import { LocalReranker, type Embedder, type UserProfile } from '@mnemo/pipeline';
import { HttpAnswerStats, LlmUsageTotals, PipelineStats, UserErasure, WebhookRepository, type IngestQueue, type JobControl, type ProfileCache, type ProfileQueue } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { adminRouter } from './admin/admin-router';
import { createMetrics } from './metrics';
import { LlmSpendGuard } from './llm-spend-guard';
import { AuthFailureThrottle } from './middleware/auth-throttle';
import { authenticate } from './middleware/authenticate';
import { rateLimits } from './middleware/rate-limit';
import { errorHandler, notFound } from './middleware/error-handler';
import { jsonBody as wellFormedJson } from './middleware/json-body';
import { requestLog } from './middleware/request-log';
import { healthRouter } from './routes/health';
import { apiReferenceRouter } from './routes/api-reference';
import { buildOpenApiDocument } from './openapi/document';
import { categoriesRouter } from './routes/categories';
import { jobsRouter } from './routes/jobs';
import { mcpRouter } from './routes/mcp';
import { memoriesRouter } from './routes/memories';
import { memoriesBatchRouter } from './routes/memories-batch';
import { memoryManagementRouter } from './routes/memory-management';
import { profileRouter } from './routes/profile';
import { searchRouter } from './routes/search';
import { userErasureRouter } from './routes/user-erasure';
import { webhooksRouter } from './routes/webhooks';

export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  keys: ApiKeyRepository;
  ingest: IngestQueue;
  store: MemoryStore;
  embedder: Embedder;
  profiles: ProfileQueue;
  profileCache: ProfileCache<UserProfile>;
  /** Operators' view of the queues: the dashboard, /metrics and job control. */
  jobs: JobControl;
  /** Routes served behind /v1's authentication and rate limits, before the not-found answer (benchmarks mount a bare route). */
  extraRoutes?: Router;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  const stats = new PipelineStats(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  const usage = new LlmUsageTotals(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  const metrics = createMetrics({ jobs: deps.jobs, stats, usage });
  app.use(metrics.middleware);
  const answers = new HttpAnswerStats(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  app.use((_req, res, next) => {
    res.on('finish', () => answers.record(res.statusCode));
    next();
  });
  app.use(requestLog(deps.logger));
  app.use(healthRouter(deps));
  app.use(apiReferenceRouter(buildOpenApiDocument({ maxBatchItems: deps.config.MNEMO_BATCH_MAX_ITEMS })));
  // Unauthenticated like /healthz: scrapers sit inside the deployment's network; it holds no user data.
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.render());
  });
  // One throttle of failed authentication (kept in Redis) for the dashboard and /v1: a guesser cannot switch doors.
  const throttle = authFailureThrottle(deps);
  if (!deps.config.MNEMO_ADMIN_PORT) app.use(adminRouter({ ...deps, stats, usage, answers, throttle }));

  const jsonBody = wellFormedJson(deps.config.MNEMO_MAX_BODY_BYTES);
  app.use('/v1', authenticate(deps.keys, throttle), rateLimits(deps.redis, deps.config.MNEMO_QUEUE_PREFIX, deps.config));
  // MCP: authenticated here; its tools call /v1 with the caller's key, so /v1's rate limits apply to each call.
  app.use('/mcp', authenticate(deps.keys, throttle));
  app.use(mcpRouter({ jsonBody }));
  const spendGuard =
    usesModel(deps.config) && deps.config.MNEMO_LLM_DAILY_CONVERSATIONS > 0
      ? new LlmSpendGuard(deps.redis, deps.config.MNEMO_QUEUE_PREFIX, deps.config.MNEMO_LLM_DAILY_CONVERSATIONS)
      : undefined;
  app.use(memoriesRouter({ ingest: deps.ingest, syncWaitMs: deps.config.MNEMO_SYNC_WAIT_MS, jsonBody, spendGuard }));
  app.use(
    memoriesBatchRouter({
      ingest: deps.ingest,
      maxItems: deps.config.MNEMO_BATCH_MAX_ITEMS,
      maxConversationBytes: deps.config.MNEMO_MAX_BODY_BYTES,
      backpressure: { maxJobs: deps.config.MNEMO_BACKPRESSURE_MAX_WAITING, maxBytes: deps.config.MNEMO_BACKPRESSURE_MAX_BYTES },
      retryAfterSeconds: deps.config.MNEMO_BACKPRESSURE_RETRY_AFTER_S,
      batchBody: wellFormedJson(deps.config.MNEMO_BATCH_MAX_BODY_BYTES),
      spendGuard,
    }),
  );
  app.use(jobsRouter({ ingest: deps.ingest, jsonBody }));
  const taxonomy = buildTaxonomy(deps.config.MNEMO_CUSTOM_CATEGORIES);
  const reranker = new LocalReranker();
  app.use(searchRouter({ store: deps.store, embedder: deps.embedder, reranker, taxonomy, profileCache: deps.profileCache, jsonBody }));
  app.use(memoryManagementRouter({ store: deps.store, embedder: deps.embedder, taxonomy, profiles: deps.profiles, jsonBody }));
  app.use(categoriesRouter({ store: deps.store, taxonomy }));
  app.use(
    webhooksRouter({
      webhooks: new WebhookRepository(deps.redis, deps.config.MNEMO_QUEUE_PREFIX),
      policy: { allowedHosts: deps.config.MNEMO_WEBHOOK_ALLOWED_HOSTS, allowPrivate: deps.config.MNEMO_WEBHOOK_ALLOW_PRIVATE },
      jsonBody,
    }),
  );
  app.use(profileRouter({ ...deps, modelWritesBio: usesModel(deps.config) }));
  const erasure = new UserErasure(deps.redis, deps.config.MNEMO_QUEUE_PREFIX, deps.profileCache);
  app.use(userErasureRouter({ store: deps.store, erasure, profileCache: deps.profileCache }));

  if (deps.extraRoutes) app.use(deps.extraRoutes);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

function authFailureThrottle(deps: AppDeps): AuthFailureThrottle {
  return new AuthFailureThrottle(deps.redis, deps.config.MNEMO_QUEUE_PREFIX, deps.config.MNEMO_AUTH_FAILURES_PER_MINUTE);
}

/**
 * The dashboard alone, for MNEMO_ADMIN_PORT: a port the deployment keeps
 * private while PORT faces clients.
 */
export function createAdminApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(requestLog(deps.logger));
  const stats = new PipelineStats(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  const usage = new LlmUsageTotals(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  const answers = new HttpAnswerStats(deps.redis, deps.config.MNEMO_QUEUE_PREFIX);
  app.use(adminRouter({ ...deps, stats, usage, answers, throttle: authFailureThrottle(deps) }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
