import { Router } from 'express';
import { createLogger, loadConfig, onShutdown, type Closeable } from '@mnemo/core';
import { jsonBody } from '../../apps/api/src/middleware/json-body';
import { startApi } from '../../apps/api/src/start-api';

/**
 * The API exactly as main.ts starts it, plus `POST /v1/bench/bare`: the same
 * global middleware, /v1 authentication and rate limits and JSON body parser
 * as `POST /v1/memories`, then a fixed 202 — the ceiling the ingest route is
 * measured against, served by the same process in the same run.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'api' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);
  const bare = Router();
  bare.post('/v1/bench/bare', jsonBody(config.MNEMO_MAX_BODY_BYTES), (_req, res) => {
    res.status(202).json({ status: 'queued', job_id: 'bare' });
  });
  await startApi(config, logger, resources, bare);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
