import { Command } from 'commander';
import { loadConfig } from '@mnemo/core';
import { createEmbedder } from '@mnemo/pipeline';
import { openVectorRebuild } from '@mnemo/store';
import { reembedProgressFor } from '../reembed/progress';
import { runReembed } from '../reembed/reembed';

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a whole number of 1 or more`);
  return n;
};

/**
 * `mnemo reembed`: rebuilds every vector of the configured store with the
 * configured embedder, then switches the store over. Resumable: run it
 * again after an interruption.
 */
export function reembedCommand(): Command {
  return new Command('reembed')
    .description('re-embed every memory and key of the store (MNEMO_STORE, MNEMO_DATA_DIR) with the embedder MNEMO_EMBEDDER names')
    .option('--batch-size <n>', 'texts embedded and saved together', positive('--batch-size'), 256)
    .option('--max-batches <n>', 'stop after this many batches; run again to continue', positive('--max-batches'))
    .action(async (opts: { batchSize: number; maxBatches?: number }) => {
      const config = loadConfig();
      // The store first: a missing or unsupported one is reported before the embedder loads.
      const rebuild = openVectorRebuild(config);
      const controller = new AbortController();
      const onInterrupt = () => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\ninterrupted: saving the batch in flight (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      try {
        const embedder = await createEmbedder(config);
        const report = await runReembed({
          rebuild,
          embedder,
          batchSize: opts.batchSize,
          maxBatches: opts.maxBatches,
          progress: reembedProgressFor(process.stderr),
          signal: controller.signal,
        });
        const built = `${report.to.embedder} embedder (${report.to.dimension}-dimensional)`;
        if (report.already) {
          process.stderr.write(`the store is already built by the ${built}: nothing to do\n`);
        } else if (report.switched) {
          process.stderr.write(`re-embedded ${report.total} vectors: the store now uses the ${built}\n`);
        } else {
          process.stderr.write('stopped early: the store still uses its old vectors; run the same command again to continue\n');
          process.exitCode = controller.signal.aborted ? 130 : 0;
        }
        console.log(JSON.stringify(report, null, 2));
      } finally {
        await rebuild.close();
      }
    });
}
