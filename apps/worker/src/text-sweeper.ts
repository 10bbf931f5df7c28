import type { Queue } from 'bullmq';
import { DROPPED_TEXT, openJobData, sealJobData, type IngestJobData, type IngestJobResult, type Logger, type PayloadCipher } from '@mnemo/core';
import { withoutText } from './ingest-processor';

/** Completed jobs looked at per sweep, newest first; older ones were swept before. */
const PER_SWEEP = 500;

/**
 * With MNEMO_KEEP_COMPLETED_TEXT_SECONDS > 0, completed jobs keep their
 * conversation text that long (to look into a job soon after), then this
 * sweep drops it. Every worker sweeps; dropping twice is harmless.
 */
export function startTextSweeper(
  queue: Queue<IngestJobData, IngestJobResult>,
  { keepSeconds, cipher, logger }: { keepSeconds: number; cipher: PayloadCipher | null; logger: Logger },
): () => void {
  const sweep = async () => {
    const cutoff = Date.now() - keepSeconds * 1000;
    try {
      for (const job of await queue.getCompleted(0, PER_SWEEP - 1)) {
        if (!job.finishedOn || job.finishedOn > cutoff) continue;
        const data = openJobData(cipher, job.data as unknown as Record<string, unknown>) as unknown as IngestJobData;
        if (data.conversation.messages.every((m) => m.content === DROPPED_TEXT)) continue;
        await job.updateData(sealJobData(cipher, withoutText(data)));
      }
    } catch (err) {
      logger.warn('could not drop old conversation text', { error: err instanceof Error ? err.message : String(err) });
    }
  };
  const timer = setInterval(() => void sweep(), Math.min(60_000, Math.max(1_000, keepSeconds * 1000)));
  timer.unref();
  return () => clearInterval(timer);
}
