import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../test/support/processes';
import { figure, type BenchResult } from './harness';
import { apiKey, freePort, RUNS, start, withSetup } from './setup';
import { conversation } from './workloads';

/** 5. mnemo import of a 100,000-line JSONL file against one API process. */
export async function importer(): Promise<BenchResult> {
  const rates: number[] = [];
  const lines = Number(process.env.BENCH_IMPORT_LINES ?? 100_000);
  const file = path.join(os.tmpdir(), `mnemo-bench-import-${process.pid}.jsonl`);
  fs.writeFileSync(file, Array.from({ length: lines }, (_, i) => JSON.stringify({ ...conversation(i), messages: conversation(i).messages.slice(0, 2), user_id: `imp-${i % 100}` })).join('\n'));
  try {
    for (let run = 0; run < RUNS; run++) {
      await withSetup('import', async ({ prefix, dir, started }) => {
        const port = await freePort();
        const env = { PORT: String(port), HOST: '127.0.0.1', MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_RATE_LIMIT_BATCH: '0', MNEMO_BACKPRESSURE_MAX_WAITING: String(lines * 2) };
        await start('api', env, started);
        const base = `http://127.0.0.1:${port}`;
        const key = await apiKey('importer', env, 'service');
        const out = await runCli(['import', file, '--url', base, '--key', key, '--batch-size', '500', '--concurrency', '4', '--state', path.join(dir, 'state')], env);
        const report = JSON.parse(out) as { accepted: number; seconds: number };
        if (report.accepted !== lines) throw new Error(`accepted ${report.accepted} of ${lines}`);
        rates.push(report.accepted / report.seconds);
      });
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  return {
    bench: 'import',
    figures: [figure(`${lines} JSONL lines`, 'conv/s', rates, { value: 5_000, better: 'higher' })],
    notes: ['batch size 500, 4 batches in flight, one API process, no worker running; accepted = enqueued'],
  };
}
