import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_MAX_CONVERSATION_BYTES } from '@mnemo/core';
import { FORMATS, type Format } from '../import/sources';
import { runImport } from '../import/importer';
import { progressFor } from '../import/progress';

const positive = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} takes a whole number from 1 to ${max}`);
  return n;
};

/**
 * `mnemo import`: a chat history into a mnemo deployment over its HTTP API.
 * Resumable: run the same command again after an interruption.
 */
export function importCommand(): Command {
  return new Command('import')
    .description('import conversations: JSON Lines of store-memories bodies, or a ChatGPT or Claude.ai data export (gzip accepted)')
    .argument('<path>', 'a file, or a directory of files (an unpacked export)')
    .addOption(new Option('--format <format>', 'input format (default: detected)').choices([...FORMATS]))
    .option('--url <url>', 'mnemo API base URL', process.env.MNEMO_URL ?? 'http://localhost:8080')
    .option('--key <key>', 'API key (default: $MNEMO_API_KEY)')
    .option('--user <user_id>', 'act for this user (needs a service key)')
    .option('--agent <agent_id>', 'agent_id for exported conversations', 'import')
    .option('--concurrency <n>', 'batches in flight', positive('--concurrency', 64), 4)
    .option('--batch-size <n>', 'conversations per request', positive('--batch-size', 10_000), 100)
    .option('--max-conversation-bytes <n>', "largest conversation sent, as JSON (the server's MNEMO_MAX_BODY_BYTES)", positive('--max-conversation-bytes', 1_073_741_824), DEFAULT_MAX_CONVERSATION_BYTES)
    .option('--wait', 'follow the jobs to completion and report memories created')
    .option('--dry-run', 'validate and report only; send nothing')
    .option('--state <dir>', 'where progress is kept (default: <path>.mnemo-import)')
    .action(async (target: string, opts: {
      format?: Format;
      url: string;
      key?: string;
      user?: string;
      agent: string;
      concurrency: number;
      batchSize: number;
      maxConversationBytes: number;
      wait?: boolean;
      dryRun?: boolean;
      state?: string;
    }) => {
      // Read here, not given to commander as a default: --help would print the real key.
      const key = opts.key ?? process.env.MNEMO_API_KEY;
      if (!key && !opts.dryRun) throw new Error('give an API key with --key or MNEMO_API_KEY');
      const controller = new AbortController();
      const onInterrupt = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\ninterrupted: finishing the batches in flight (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      const report = await runImport({
        target,
        format: opts.format,
        url: opts.url.replace(/\/+$/, ''),
        key: key ?? '',
        userId: opts.user,
        agentId: opts.agent,
        concurrency: opts.concurrency,
        batchSize: opts.batchSize,
        maxConversationBytes: opts.maxConversationBytes,
        wait: !!opts.wait,
        dryRun: !!opts.dryRun,
        stateDir: opts.state ?? `${path.resolve(target).replace(/\/+$/, '')}.mnemo-import`,
        progress: progressFor(process.stderr),
        signal: controller.signal,
      });
      console.log(JSON.stringify(report, null, 2));
      if (report.interrupted) {
        process.stderr.write('stopped early: run the same command again to continue\n');
        process.exitCode = 130;
      }
    });
}
