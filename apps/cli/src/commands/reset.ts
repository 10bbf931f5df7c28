import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { keysUnderPrefix, unlinkKeys } from '@mnemo/queue';
import { describeMemoryStore, destroyMemoryStore } from '@mnemo/store';
import { withRedis } from '../redis-session';

/**
 * `mnemo reset`: deletes the memory store and every Redis key of the
 * queue prefix, after asking. `--yes` skips the question (scripts); without
 * it and without a terminal to ask on, nothing is deleted.
 */
export function resetCommand(): Command {
  return new Command('reset')
    .description('delete every memory, job and API key of this deployment (asks first)')
    .option('--yes', 'do not ask')
    .action(async (opts: { yes?: boolean }) => {
      await withRedis(async (redis, config) => {
        const keys = await keysUnderPrefix(redis, config.MNEMO_QUEUE_PREFIX);
        const what = [describeMemoryStore(config), `${keys.length} Redis keys under the prefix "${config.MNEMO_QUEUE_PREFIX}" (jobs, API keys, counters)`];
        if (!opts.yes) {
          if (!process.stdin.isTTY) throw new Error(`mnemo reset would delete ${what.join(' and ')}; pass --yes to do it without asking`);
          console.log(`This deletes, for good:\n  ${what.join('\n  ')}\nStop the API and workers first.`);
          const answer = await ask('Type "reset" to go on: ');
          if (answer.trim() !== 'reset') return console.log('Nothing deleted.');
        }
        const storeExisted = await destroyMemoryStore(config);
        await unlinkKeys(redis, keys);
        console.log(`Deleted ${storeExisted ? describeMemoryStore(config) : 'no store (there was none)'} and ${keys.length} Redis keys.`);
      });
    });
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
