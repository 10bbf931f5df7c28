import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadCipherFrom, redisKey, type Config, type PayloadCipher } from '@mnemo/core';
import { LLM_BATCH_QUEUE, type LlmBatchPollData } from './queues';

/**
 * Batch mode's bookkeeping: conversations waiting to be batched (a Redis
 * hash of job id → its batch entries), and the submit and poll jobs.
 */
export class LlmBatchQueue<Entry> {
  readonly queue: Queue;
  private readonly pendingKey: string;
  /** Where pending entries were kept before issue 13: inside the llm-batch queue's own keys. Still drained. */
  private readonly legacyPendingKey: string;
  /** Entries hold the conversation as a prompt: sealed at rest like job payloads. */
  private readonly cipher: PayloadCipher | null;

  constructor(
    private readonly config: Config,
    private readonly redis: Redis,
  ) {
    this.queue = new Queue(LLM_BATCH_QUEUE.name, {
      connection: redis,
      prefix: config.MNEMO_QUEUE_PREFIX,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: config.MNEMO_JOB_BACKOFF_MS, jitter: 0.5 },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: config.MNEMO_KEEP_FAILED_SECONDS, count: 1000 },
      },
    });
    // Connection errors are logged once by reportConnection where the connection is made;
    // calls that need Redis fail on their own. Without a listener they would crash the process.
    this.queue.on('error', () => undefined);
    this.pendingKey = redisKey(config.MNEMO_QUEUE_PREFIX, 'llmBatchPending');
    this.legacyPendingKey = `${config.MNEMO_QUEUE_PREFIX}:${LLM_BATCH_QUEUE.name}:pending`;
    this.cipher = payloadCipherFrom(config);
  }

  /** Parks a conversation's entries and asks for a submit at the end of the gathering window. */
  async add(jobId: string, entries: Entry[]): Promise<void> {
    await this.redis.hset(this.pendingKey, jobId, JSON.stringify(this.cipher ? this.cipher.seal(entries) : entries));
    const window = this.config.MNEMO_LLM_BATCH_WINDOW_MS;
    // Deduplicated without extending: the first conversation of a window fixes when it is submitted.
    await this.queue.add(LLM_BATCH_QUEUE.submitJob, {}, { delay: window, deduplication: { id: 'llm-batch-submit', ttl: Math.max(1, window) } });
  }

  /** Takes every pending conversation at once, so two submits never batch the same one. */
  async takePending(): Promise<Map<string, Entry[]>> {
    const replies = (await this.redis
      .multi()
      .hgetall(this.legacyPendingKey)
      .hgetall(this.pendingKey)
      .del(this.pendingKey, this.legacyPendingKey)
      .exec()) as [Error | null, Record<string, string>][];
    const pending = { ...replies[0]?.[1], ...replies[1]?.[1] };
    return new Map(
      Object.entries(pending).map(([jobId, raw]) => {
        const stored = JSON.parse(raw) as unknown;
        return [jobId, (this.cipher ? this.cipher.openValue(stored) : stored) as Entry[]];
      }),
    );
  }

  async poll(data: LlmBatchPollData): Promise<void> {
    await this.queue.add(LLM_BATCH_QUEUE.pollJob, data, { delay: this.config.MNEMO_LLM_BATCH_POLL_MS });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
