import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Events a webhook may ask for. */
export const WEBHOOK_EVENTS = ['job.completed', 'job.failed', 'memory.created'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  /** Signs every delivery; shown once, when the webhook is created. */
  secret: z.string(),
  created_at: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** Webhooks per API key: more is almost certainly a loop in a client. */
export const MAX_WEBHOOKS_PER_KEY = 10;

/** Webhooks, per API key, in one Redis hash each. */
export class WebhookRepository {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(keyId: string): string {
    return `${this.prefix}:webhooks:${keyId}`;
  }

  async create(keyId: string, url: string, events: WebhookEvent[]): Promise<Webhook> {
    const webhook: Webhook = {
      id: `wh_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      url,
      events: [...new Set(events)],
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
      created_at: new Date().toISOString(),
    };
    await this.redis.hset(this.key(keyId), webhook.id, JSON.stringify(webhook));
    return webhook;
  }

  async list(keyId: string): Promise<Webhook[]> {
    const all = await this.redis.hvals(this.key(keyId));
    return all.map((raw) => webhookSchema.parse(JSON.parse(raw))).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async get(keyId: string, id: string): Promise<Webhook | null> {
    const raw = await this.redis.hget(this.key(keyId), id);
    return raw ? webhookSchema.parse(JSON.parse(raw)) : null;
  }

  async count(keyId: string): Promise<number> {
    return this.redis.hlen(this.key(keyId));
  }

  /** True if it existed. */
  async delete(keyId: string, id: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(keyId), id)) === 1;
  }
}
