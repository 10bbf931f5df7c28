import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadCipherFrom, sealFields, type Config, type PayloadCipher } from '@mnemo/core';
import { WEBHOOK_QUEUE, webhookJobOptions, type WebhookJobData } from './queues';
import type { WebhookEvent, WebhookRepository } from './webhook-repository';

/**
 * Turns an event of a job into deliveries for the webhooks of the key that
 * submitted it. Delivery ids are deterministic (event, job, webhook), so an
 * event raised twice (a retried step) is delivered once.
 */
export class WebhookNotifier {
  readonly queue: Queue<WebhookJobData>;
  /** Bodies carry memory texts: sealed at rest like ingest payloads. */
  private readonly cipher: PayloadCipher | null;

  constructor(
    config: Config,
    connection: Redis,
    private readonly webhooks: WebhookRepository,
  ) {
    this.queue = new Queue(WEBHOOK_QUEUE.name, { connection, prefix: config.MNEMO_QUEUE_PREFIX, defaultJobOptions: webhookJobOptions(config) });
    this.cipher = payloadCipherFrom(config);
  }

  /** Enqueues one delivery per webhook of `keyId` that asked for `event`; returns how many. */
  async notify(keyId: string | undefined, event: WebhookEvent, subject: string, data: Record<string, unknown>): Promise<number> {
    if (!keyId) return 0;
    const hooks = (await this.webhooks.list(keyId)).filter((hook) => hook.events.includes(event));
    if (hooks.length === 0) return 0;
    const createdAt = new Date().toISOString();
    await this.queue.addBulk(
      hooks.map((hook) => {
        const deliveryId = `whd_${createHash('sha256').update(`${event}\u0000${subject}\u0000${hook.id}`).digest('hex').slice(0, 24)}`;
        return {
          name: WEBHOOK_QUEUE.jobName,
          data: sealFields(
            this.cipher,
            { key_id: keyId, webhook_id: hook.id, delivery_id: deliveryId, event, body: { id: deliveryId, event, created_at: createdAt, data } },
            WEBHOOK_QUEUE.sealedFields,
          ),
          opts: { jobId: deliveryId },
        };
      }),
    );
    return hooks.length;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
