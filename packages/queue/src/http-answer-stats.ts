import type { Redis } from 'ioredis';
import { redisKey } from '@mnemo/core';
import { execAll } from './redis-errors';

export const ANSWER_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type AnswerClass = (typeof ANSWER_CLASSES)[number];

/** Per-minute counts are kept two days, like the pipeline's. */
const MINUTE_TTL_SECONDS = 2 * 24 * 3600;

/**
 * HTTP answers per minute by status class, added up across every API
 * process in Redis so the dashboard shows the fleet's error rates, not one
 * process's. Counted in memory and written every few seconds: one Redis
 * round trip per interval, not one per request.
 */
export class HttpAnswerStats {
  private pending = new Map<string, Partial<Record<AnswerClass, number>>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly flushEveryMs = 5_000,
  ) {}

  private minuteKey(minute: string): string {
    return redisKey(this.prefix, 'stats', 'http', minute);
  }

  record(status: number, at = new Date()): void {
    const cls = `${Math.min(5, Math.max(2, Math.floor(status / 100)))}xx` as AnswerClass;
    const minute = at.toISOString().slice(0, 16);
    const counts = this.pending.get(minute) ?? {};
    counts[cls] = (counts[cls] ?? 0) + 1;
    this.pending.set(minute, counts);
    // A lost last interval on a crash is acceptable for a dashboard figure; the timer never holds the process open.
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushEveryMs).unref();
  }

  /** Writes what this process has counted since the last write. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    const tx = this.redis.multi();
    for (const [minute, counts] of pending) {
      for (const [cls, n] of Object.entries(counts)) tx.hincrby(this.minuteKey(minute), cls, n);
      tx.expire(this.minuteKey(minute), MINUTE_TTL_SECONDS);
    }
    await execAll(tx);
  }

  /** Answers per minute for the last `minutes` minutes, oldest first. */
  async perMinute(minutes = 60, now = new Date()): Promise<({ minute: string } & Record<AnswerClass, number>)[]> {
    const stamps = Array.from({ length: minutes }, (_, i) => new Date(now.getTime() - (minutes - 1 - i) * 60_000).toISOString().slice(0, 16));
    const tx = this.redis.multi();
    for (const minute of stamps) tx.hgetall(this.minuteKey(minute));
    const rows = (await tx.exec()) ?? [];
    return stamps.map((minute, i) => {
      const raw = (rows[i]?.[1] ?? {}) as Record<string, string>;
      return { minute: `${minute}Z`, ...(Object.fromEntries(ANSWER_CLASSES.map((c) => [c, Number(raw[c] ?? 0)])) as Record<AnswerClass, number>) };
    });
  }
}
