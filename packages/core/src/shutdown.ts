import type { Logger } from './logger';

export interface Closeable {
  name: string;
  close(): Promise<void>;
}

/**
 * Closes resources in the reverse of the order they were opened, once, on
 * SIGTERM or SIGINT, within a bound; a second signal or the bound forces exit.
 */
export function onShutdown(logger: Logger, timeoutMs: number, resources: () => Closeable[]): () => Promise<void> {
  let closing: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    if (closing) return closing;
    logger.info('shutting down', { reason });
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting', { timeout_ms: timeoutMs });
      process.exit(1);
    }, timeoutMs + 1_000);
    force.unref();
    closing = (async () => {
      for (const resource of [...resources()].reverse()) {
        try {
          await resource.close();
        } catch (err) {
          logger.warn('error while closing', { resource: resource.name, error: String(err) });
        }
      }
      clearTimeout(force);
      logger.info('shut down cleanly');
    })();
    return closing;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(1);
      }
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return () => shutdown('requested');
}
