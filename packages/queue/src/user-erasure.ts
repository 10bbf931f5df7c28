import { Queue, type Job, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { INGEST_QUEUE, PROFILE_QUEUE, WEBHOOK_QUEUE } from './queues';

/** Every state a job can be removed in; active jobs are locked by their worker. */
const REMOVABLE: JobType[] = ['waiting', 'prioritized', 'delayed', 'paused', 'waiting-children', 'completed', 'failed'];
const PAGE = 500;

export interface QueueErasure {
  /** Ingest jobs removed, with their conversation payloads and results. */
  ingest_jobs: number;
  /** Pending profile rebuilds removed. */
  profile_jobs: number;
  /** Webhook deliveries (pending, done or failed) about the user removed. */
  webhook_deliveries: number;
  /** Ingest jobs running right now: they could not be removed (see SECURITY.md). */
  running: string[];
  /** The cached profile was there and is gone. */
  profile: boolean;
}

/**
 * What erasing a user removes from Redis: the user's jobs in every queue
 * that carries their data, and their cached profile. The queues are walked
 * page by page (retention bounds their size); which jobs are the user's is
 * read from the plain `user_id` of ingest and profile jobs and from the
 * `data.user_id` of a webhook delivery's body.
 */
export class UserErasure {
  private readonly queues: Record<'ingest' | 'profile' | 'webhooks', Queue>;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly profiles: { delete(userId: string): Promise<boolean> },
  ) {
    const open = (name: string) => {
      const queue = new Queue(name, { connection: redis, prefix });
      // Errors surface on the calls that need Redis; without a listener they would crash the process.
      queue.on('error', () => undefined);
      return queue;
    };
    this.queues = { ingest: open(INGEST_QUEUE.name), profile: open(PROFILE_QUEUE.name), webhooks: open(WEBHOOK_QUEUE.name) };
  }

  async erase(userId: string): Promise<QueueErasure> {
    const ofUser = (job: Job) => (job.data as { user_id?: unknown } | undefined)?.user_id === userId;
    const aboutUser = (job: Job) => {
      const body = (job.data as { body?: { data?: { user_id?: unknown } } } | undefined)?.body;
      return body?.data?.user_id === userId;
    };
    // A pending profile rebuild first: it would write the profile back after the cache is cleared.
    const profileJobs = await this.removeWhere(this.queues.profile, ofUser);
    const [ingestJobs, webhookDeliveries, running] = await Promise.all([
      this.removeWhere(this.queues.ingest, ofUser),
      this.removeWhere(this.queues.webhooks, aboutUser),
      this.matching(this.queues.ingest, ['active'], ofUser),
    ]);
    const profile = await this.profiles.delete(userId);
    return {
      ingest_jobs: ingestJobs,
      profile_jobs: profileJobs,
      webhook_deliveries: webhookDeliveries,
      running: running.map((j) => j.id ?? 'unknown'),
      profile,
    };
  }

  private async matching(queue: Queue, states: JobType[], match: (job: Job) => boolean): Promise<Job[]> {
    const found: Job[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await queue.getJobs(states, start, start + PAGE - 1, true);
      found.push(...page.filter((job) => job && match(job)));
      if (page.length < PAGE) return found;
    }
  }

  private async removeWhere(queue: Queue, match: (job: Job) => boolean): Promise<number> {
    const jobs = await this.matching(queue, REMOVABLE, match);
    // A job that started meanwhile is locked: remove() answers 0 and it stays (it shows among the running ones).
    const removed = await Promise.all(
      jobs.map((job) =>
        queue.remove(job.id!).catch((err: unknown) => {
          throw new Error(`could not remove job ${job.id} of queue ${queue.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }),
      ),
    );
    return removed.filter((n) => n === 1).length;
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
