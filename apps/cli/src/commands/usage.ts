import { Command } from 'commander';
import { LlmUsageTotals } from '@mnemo/queue';
import { withRedis } from '../redis-session';

/** `mnemo usage`: model tokens and calls across the fleet, in total and per hour. */
export function usageCommand(): Command {
  return new Command('usage')
    .description('model usage (calls, tokens, time) across all workers')
    .option('--hours <n>', 'hours of per-hour figures', '24')
    .option('--json', 'print JSON')
    .action(async (opts: { hours: string; json?: boolean }) => {
      const hours = Number(opts.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 7) throw new Error('--hours takes a whole number from 1 to 168');
      const usage = await withRedis((redis, config) => new LlmUsageTotals(redis, config.MNEMO_QUEUE_PREFIX).read(hours));
      if (opts.json) return console.log(JSON.stringify(usage, null, 2));
      console.log('total');
      console.table([usage.total]);
      const active = usage.by_hour.filter((h) => h.calls > 0);
      if (active.length) {
        console.log(`last ${hours} h`);
        console.table(active);
      }
    });
}
