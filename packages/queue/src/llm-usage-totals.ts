import type { Redis } from 'ioredis';
import { keyPart, redisKey, type LlmUsage } from '@mnemo/core';

const FIELDS = ['jobs', 'calls', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'llm_ms'] as const;
type Field = (typeof FIELDS)[number];
export type UsageCounters = Record<Field, number>;

/** Hourly buckets (and the marks of jobs counted) are kept a week: enough for "tokens per hour" charts and daily cost. */
const HOUR_TTL_SECONDS = 8 * 24 * 3600;

/**
 * KEYS: total, this hour, the job's marker. ARGV: whether there is a job,
 * the marker's and the hour's TTL, then field/value pairs. One script, so a
 * job is counted once even when two runs of it record at the same moment.
 */
const RECORD = `
local jobs = 0
if ARGV[1] == '1' and redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[2]) then jobs = 1 end
for k = 1, 2 do
  redis.call('HINCRBY', KEYS[k], 'jobs', jobs)
  for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return jobs
`;

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

  /**
   * Adds model calls as they are made. `jobId` names the ingest job they
   * belong to: `jobs` counts each job once however often its usage is
   * recorded (its extraction, its reconciliation, a run after a stall or a
   * batch answer), while calls and tokens always add up, because every call
   * is billed. Usage of no job (a profile's bio) adds calls, not jobs.
   */
  async record(usage: LlmUsage, { at = new Date(), jobId }: { at?: Date; jobId?: string } = {}): Promise<void> {
    const fields = FIELDS.filter((f) => f !== 'jobs');
    const values = fields.flatMap((f) => [f, String(Math.round(usage[f as Exclude<Field, 'jobs'>]))]);
    const marker = jobId === undefined ? '' : redisKey(this.prefix, 'llmUsage', 'job', keyPart(jobId));
    await this.redis.eval(RECORD, 3, this.totalKey, this.hourKey(at), marker || this.hourKey(at), marker ? '1' : '0', HOUR_TTL_SECONDS, ...values);
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
