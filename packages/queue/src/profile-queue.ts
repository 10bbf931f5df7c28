import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '@mnemo/core';
import { PROFILE_QUEUE, profileJobOptions, type ProfileJobData } from './queues';

/**
 * Asks for a user's profile to be rebuilt. Requests are debounced per user:
 * while a rebuild is still delayed, a new request replaces it and pushes it
 * back, so a burst of ingestion costs one rebuild.
 */
export class ProfileQueue {
  readonly queue: Queue<ProfileJobData>;

  constructor(
    config: Config,
    connection: Redis,
    private readonly debounceMs = config.MNEMO_PROFILE_DEBOUNCE_MS,
  ) {
    this.queue = new Queue(PROFILE_QUEUE.name, {
      connection,
      prefix: config.MNEMO_QUEUE_PREFIX,
      defaultJobOptions: profileJobOptions(config),
    });
    // Connection errors are logged once by reportConnection where the connection is made;
    // calls that need Redis fail on their own. Without a listener they would crash the process.
    this.queue.on('error', () => undefined);
  }

  async requestRebuild(userId: string): Promise<void> {
    await this.queue.add(PROFILE_QUEUE.jobName, PROFILE_QUEUE.schema.parse({ user_id: userId }), {
      delay: this.debounceMs,
      deduplication: { id: `profile:${userId}`, ttl: Math.max(1, this.debounceMs), extend: true, replace: true },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
