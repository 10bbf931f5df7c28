/**
 * Every Redis key mnemo writes itself, beside BullMQ's queues. BullMQ owns
 * `<prefix>:<queue>:*` for each queue (`:meta`, `:events`, `:id`, `:wait`,
 * `:stalled-check`, numeric job ids…), so no family here may be a queue
 * name, and no family may be a prefix of another: each is one segment
 * without a colon. `test/integration/redis-keys.test.ts` checks both, and
 * writes every family with hostile user ids.
 *
 * A user id (or any other id a client chooses) goes only into the last
 * part of a key, through `keyPart`, never in the family position.
 */
export const KEY_FAMILIES = {
  /** API key records by hash, and the key id index. */
  apiKey: 'apikey',
  apiKeyIndex: 'apikeys',
  /** Dashboard logins by session token. */
  adminSession: 'admin-session',
  /** Failed authentication attempts per client address and per presented key prefix. */
  authFailures: 'auth-failures',
  /** Each user's latest built profile. */
  profileCache: 'profile-cache',
  /** The per-user lease on a user's memories, and its fencing token. */
  userLease: 'user-lease',
  userFence: 'user-fence',
  /** Webhook registrations per API key (not the `webhooks` delivery queue). */
  webhookRegistry: 'webhook-registry',
  /** Batch mode: conversations waiting for the next message batch (not the `llm-batch` queue). */
  llmBatchPending: 'llm-batch-pending',
  /** Fleet-wide pipeline statistics and model usage totals. */
  stats: 'stats',
  llmUsage: 'llm-usage',
  /** Per-user request budgets (rate-limiter-flexible adds `:<user>`). */
  rate: 'rate',
  /** Per-user daily model budget. */
  llmDay: 'llm-day',
  /** The fleet's model requests per minute. */
  llmRpm: 'llm-rpm',
} as const;
export type KeyFamily = keyof typeof KEY_FAMILIES;

/**
 * A client-chosen id as one key segment: the same text for ordinary ids
 * (letters, digits, `_ . @ -`), every other UTF-16 unit escaped (`%3A`,
 * `%u4E2D`), `%` and `:` included, so two ids never give one key and no id
 * adds a segment.
 */
export function keyPart(id: string): string {
  // Per UTF-16 code unit, so even a lone surrogate has its own spelling.
  return id.replace(/[^A-Za-z0-9_.@-]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** `<prefix>:<family>[:<part>…]`; parts a client chooses must go through `keyPart`. */
export function redisKey(prefix: string, family: KeyFamily, ...parts: string[]): string {
  return [prefix, KEY_FAMILIES[family], ...parts].join(':');
}
