import { createLogger, loadConfig, onShutdown, type Closeable } from '@mnemo/core';
import { startApi } from './start-api';

/** API process: authenticates, validates, enqueues and answers. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'api' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);
  await startApi(config, logger, resources);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
