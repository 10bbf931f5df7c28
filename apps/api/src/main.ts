import cluster from 'node:cluster';
import { createLogger, loadConfig, onShutdown, type Closeable, type Config } from '@mnemo/core';
import { startApi } from './start-api';

/** API process: authenticates, validates, enqueues and answers. */
async function main(config: Config): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'api' });
  const resources: Closeable[] = [];
  onShutdown(logger, config.MNEMO_SHUTDOWN_TIMEOUT_MS, () => resources);
  await startApi(config, logger, resources);
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
