import os from 'node:os';
import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import type { Logger } from '@mnemo/core';
import type { PipelineStats } from '@mnemo/queue';

export interface RegisterWorkerDeps {
  logger: Logger;
  /** Fleet figures: every queue records the same events, shown on /metrics as mnemo_worker_jobs_total. */
  stats: Pick<PipelineStats, 'workerEvent'>;
  /** A queue's own extra step when one of its jobs is found stalled (the ingest queue's dashboard figures). */
  onStalled?: (jobId: string) => Promise<void>;
}

/**
 * The one way a consumer is started: every queue's worker gets the same
 * `error`, `failed`, `stalled` and `completed` handlers, logging with the
 * queue and job id and recording the same figures, so no queue fails
 * silently because its handlers were forgotten.
 */
export function registerWorker<Data, Result>(
  queue: string,
  processor: Processor<Data, Result>,
  options: WorkerOptions,
  deps: RegisterWorkerDeps,
): Worker<Data, Result> {
  const { logger, stats } = deps;
  const record = (what: string, promise: Promise<void>, jobId?: string) =>
    promise.catch((err: unknown) =>
      logger.warn(`could not record ${what}`, { queue, job_id: jobId, error: err instanceof Error ? err.message : String(err) }),
    );
  const processingMs = (job: Job | undefined) => (job?.processedOn && job.finishedOn ? job.finishedOn - job.processedOn : undefined);
  const userOf = (job: Job | undefined) => (job?.data as { user_id?: unknown } | undefined)?.user_id;

  // Named for its host and process, so the dashboard's list of live workers says which is which.
  const worker = new Worker<Data, Result>(queue, processor, { name: `${os.hostname()}:${process.pid}`, ...options });
  worker.on('error', (err) => logger.error('worker error', { queue, error: err.message }));
  worker.on('failed', (job, err) => {
    logger.warn('job attempt failed', { queue, job_id: job?.id, user_id: userOf(job), error: err.message });
    void record('worker stats', stats.workerEvent(queue, 'failed', processingMs(job)), job?.id);
  });
  // Seen by the worker that finds the job stalled (its own worker died): the job goes back to the queue.
  worker.on('stalled', (jobId) => {
    logger.warn('job stalled: its worker stopped renewing the lock; it goes back to the queue', { queue, job_id: jobId });
    void record('worker stats', stats.workerEvent(queue, 'stalled'), jobId);
    if (deps.onStalled) void record('pipeline stats', deps.onStalled(jobId), jobId);
  });
  worker.on('completed', (job) => {
    void record('worker stats', stats.workerEvent(queue, 'completed', processingMs(job)), job.id);
  });
  return worker;
}
