import path from 'node:path';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import cookieParser from 'cookie-parser';
import express, { Router } from 'express';
import type { Redis } from 'ioredis';
import type { ApiKeyRepository } from '@mnemo/auth';
import { MnemoError, payloadCipherFrom, type Config } from '@mnemo/core';
import { INGEST_QUEUE, queuesInUse, WEBHOOK_QUEUE, type HttpAnswerStats, type JobControl, type LlmUsageTotals, type PipelineStats } from '@mnemo/queue';
import { adminAuth } from './admin-auth';
import type { AuthFailureThrottle } from '../middleware/auth-throttle';
import { AdminSessions } from './admin-sessions';
import { sameOriginWrites } from './same-origin';
import { overviewPage } from './pages';
import { redactors } from './redact';

export interface AdminDeps {
  config: Config;
  redis: Redis;
  keys: ApiKeyRepository;
  jobs: JobControl;
  stats: PipelineStats;
  usage: LlmUsageTotals;
  /** The API's answers per minute by status class, fleet-wide. */
  answers: HttpAnswerStats;
  throttle: AuthFailureThrottle;
}

const REFRESH_MS = 5_000;

/** Everything the overview page shows, in one read. */
export async function overview({ jobs, stats, usage, answers }: Pick<AdminDeps, 'jobs' | 'stats' | 'usage' | 'answers'>) {
  // This process's latest answers first, so the figures include the requests just made.
  await answers.flush();
  const [queues, perMinute, stages, failures, totals, llm, workers, http] = await Promise.all([
    jobs.stats(),
    stats.perMinute(60),
    stats.stagePercentiles(),
    stats.failures(),
    stats.totals(),
    usage.read(24),
    jobs.workers(),
    answers.perMinute(60),
  ]);
  return {
    generated_at: new Date().toISOString(),
    queues,
    per_minute: perMinute,
    stages,
    failures,
    memories: { by_category: totals.by_category, by_type: totals.by_type },
    completed: totals.completed,
    rate_limited: totals.rate_limited,
    stalled: { total: totals.stalled, last: totals.last_stalled },
    llm,
    workers,
    http_per_minute: http,
  };
}

/**
 * /admin: the pipeline overview, its JSON, job control, and Bull Board at
 * /admin/queues, all behind admin authentication. Job contents are redacted
 * unless MNEMO_ADMIN_SHOW_CONTENT is set; MNEMO_ADMIN_READ_ONLY removes every
 * action.
 */
export function adminRouter(deps: AdminDeps): Router {
  const { config, jobs } = deps;
  const readOnly = config.MNEMO_ADMIN_READ_ONLY;
  const sessions = new AdminSessions(deps.redis, config.MNEMO_QUEUE_PREFIX, config.MNEMO_ADMIN_SESSION_HOURS * 3600);
  const auth = adminAuth(deps.keys, sessions, config.MNEMO_ADMIN_SESSION_HOURS, deps.throttle);
  const router = Router();
  // Before anything else, login and logout included: no write is ever taken from another site.
  router.use('/admin', sameOriginWrites);
  router.use('/admin', cookieParser());
  router.use(auth.router);
  router.use('/admin', auth.guard);

  router.get('/admin', (_req, res) => {
    res.type('html').send(overviewPage({ refreshMs: REFRESH_MS, readOnly }));
  });
  router.get('/admin/assets/chart.umd.min.js', (_req, res) => {
    res.sendFile(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), { maxAge: '1d' });
  });
  router.get('/admin/api/overview', async (_req, res) => {
    res.json(await overview(deps));
  });

  // Job control, the same operations as `mnemo jobs`.
  const writable: express.RequestHandler = (_req, _res, next) =>
    next(readOnly ? new MnemoError('FORBIDDEN', 'The dashboard is read-only (MNEMO_ADMIN_READ_ONLY)') : undefined);
  router.get('/admin/api/jobs/stats', async (_req, res) => {
    res.json({ queues: await jobs.stats() });
  });
  router.get('/admin/api/jobs/failed', async (req, res) => {
    const limit = Math.min(500, Math.max(1, Number(req.query.limit) || 50));
    res.json(await jobs.failed(limit));
  });
  router.post('/admin/api/jobs/retry-failed', writable, async (_req, res) => {
    res.json({ retried: await jobs.retryAll() });
  });
  router.post('/admin/api/jobs/:id/retry', writable, async (req, res) => {
    await jobs.retry(String(req.params.id));
    res.json({ retried: req.params.id });
  });
  router.delete('/admin/api/jobs/:id', writable, async (req, res) => {
    await jobs.discard(String(req.params.id));
    res.json({ discarded: req.params.id });
  });

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  // Every queue that carries user text is redacted; only the queues this configuration runs are listed.
  const redact = redactors(payloadCipherFrom(config));
  const adapters = queuesInUse(config).map((name) => {
    const adapter = new BullMQAdapter(jobs.queues.get(name)!, { readOnlyMode: readOnly, allowRetries: !readOnly });
    if (config.MNEMO_ADMIN_SHOW_CONTENT) return adapter;
    if (name === INGEST_QUEUE.name) {
      adapter.setFormatter('data', redact.ingestData);
      adapter.setFormatter('returnValue', redact.ingestResult);
    }
    if (name === WEBHOOK_QUEUE.name) adapter.setFormatter('data', redact.webhookData);
    return adapter;
  });
  createBullBoard({ queues: adapters, serverAdapter: board, options: { uiConfig: { boardTitle: 'mnemo queues' } } });
  router.use('/admin/queues', board.getRouter() as express.Router);
  return router;
}
