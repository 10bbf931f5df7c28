import type { Redis } from 'ioredis';
import { redisKey, type LlmUsage } from '@mnemo/core';

const FIELDS = ['jobs', 'calls', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'llm_ms'] as const;
type Field = (typeof FIELDS)[number];
export type UsageCounters = Record<Field, number>;

/** Hourly buckets are kept a week: enough for "tokens per hour" charts and daily cost. */
const HOUR_TTL_SECONDS = 8 * 24 * 3600;

/**
 * Model usage added up across every worker: since the start, and per hour.
 * Kept in Redis beside the queues; the CLI, the dashboard and /metrics read it.
 */
export class LlmUsageTotals {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get totalKey(): string {
    return redisKey(this.prefix, 'llmUsage', 'total');
  }

  private hourKey(at: Date): string {
    return redisKey(this.prefix, 'llmUsage', 'hour', at.toISOString().slice(0, 13));
  }

  /** `jobs`: 0 when the usage belongs to a job already counted (its reconciliation after its extraction). */
  async record(usage: LlmUsage, at = new Date(), jobs = 1): Promise<void> {
    const increments: [Field, number][] = [['jobs', jobs], ...FIELDS.filter((f) => f !== 'jobs').map((f) => [f, usage[f as Exclude<Field, 'jobs'>]] as [Field, number])];
    const tx = this.redis.multi();
    for (const key of [this.totalKey, this.hourKey(at)]) {
      for (const [field, value] of increments) tx.hincrby(key, field, Math.round(value));
    }
    tx.expire(this.hourKey(at), HOUR_TTL_SECONDS);
    await tx.exec();
  }

  /** Totals since the start, and the last `hours` hours, oldest first. */
  async read(hours = 24, now = new Date()): Promise<{ total: UsageCounters; by_hour: ({ hour: string } & UsageCounters)[] }> {
    const parse = (raw: Record<string, string>) => Object.fromEntries(FIELDS.map((f) => [f, Number(raw[f] ?? 0)])) as UsageCounters;
    const stamps = Array.from({ length: hours }, (_, i) => new Date(now.getTime() - (hours - 1 - i) * 3_600_000));
    const [total, ...byHour] = await Promise.all([
      this.redis.hgetall(this.totalKey),
      ...stamps.map((at) => this.redis.hgetall(this.hourKey(at))),
    ]);
    return {
      total: parse(total ?? {}),
      by_hour: stamps.map((at, i) => ({ hour: `${at.toISOString().slice(0, 13)}:00Z`, ...parse(byHour[i] ?? {}) })),
    };
  }
}
