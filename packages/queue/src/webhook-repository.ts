import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { redisKey } from '@mnemo/core';

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

/**
 * Before issue 13 registrations lived at `<prefix>:webhooks:<key id>`, inside
 * the `webhooks` delivery queue's keys (an obliterate of the queue would
 * have taken them). Moved on first use, atomically, unless the new key
 * exists, and only a hash whose every field is a webhook id: never a job of
 * the queue that happens to share the name.
 */
const MOVE_LEGACY = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('TYPE', KEYS[2]).ok ~= 'hash' then return 0 end
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(field, 1, 3) ~= 'wh_' then return 0 end
end
redis.call('RENAME', KEYS[2], KEYS[1])
return 1`;

/** Webhooks, per API key, in one Redis hash each. */
export class WebhookRepository {
  /** Key ids whose legacy registrations this process has moved already. */
  private readonly moved = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(keyId: string): string {
    return redisKey(this.prefix, 'webhookRegistry', keyId);
  }

  /** The key id's hash, after moving registrations made before issue 13 out of the delivery queue's keys. */
  private async keyOf(keyId: string): Promise<string> {
    const key = this.key(keyId);
    if (!this.moved.has(keyId)) {
      await this.redis.eval(MOVE_LEGACY, 2, key, `${this.prefix}:webhooks:${keyId}`);
      this.moved.add(keyId);
    }
    return key;
  }

  async create(keyId: string, url: string, events: WebhookEvent[]): Promise<Webhook> {
    const webhook: Webhook = {
      id: `wh_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      url,
      events: [...new Set(events)],
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
      created_at: new Date().toISOString(),
    };
    await this.redis.hset(await this.keyOf(keyId), webhook.id, JSON.stringify(webhook));
    return webhook;
  }

  async list(keyId: string): Promise<Webhook[]> {
    const all = await this.redis.hvals(await this.keyOf(keyId));
    return all.map((raw) => webhookSchema.parse(JSON.parse(raw))).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async get(keyId: string, id: string): Promise<Webhook | null> {
    const raw = await this.redis.hget(await this.keyOf(keyId), id);
    return raw ? webhookSchema.parse(JSON.parse(raw)) : null;
  }

  async count(keyId: string): Promise<number> {
    return this.redis.hlen(await this.keyOf(keyId));
  }

  /** True if it existed. */
  async delete(keyId: string, id: string): Promise<boolean> {
    return (await this.redis.hdel(await this.keyOf(keyId), id)) === 1;
  }
}
