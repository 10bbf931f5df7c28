import { FakeAnthropic } from '../test/support/fake-anthropic';
import { figure, type BenchResult } from './harness';
import { completion, RUNS, start, withIngest, withSetup } from './setup';
import { conversation } from './workloads';

const TOTAL = 300;
const MODEL_MS = 1_000;
const CONCURRENCY = 50;

/** 3. A loopback Messages API answering in 1 s; one worker at concurrency 50 (ideal: 50 conversations/s). */
export async function slowLlm(): Promise<BenchResult> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const fake = new FakeAnthropic();
    await fake.start();
    for (let i = 0; i < TOTAL * 3; i++) fake.delays.push(MODEL_MS);
    try {
      await withSetup('slow-llm', async ({ prefix, dir, started }) => {
        const env = { MNEMO_QUEUE_PREFIX: prefix, MNEMO_DATA_DIR: dir, MNEMO_WORKER_CONCURRENCY: String(CONCURRENCY), ANTHROPIC_API_KEY: 'sk-bench', ANTHROPIC_BASE_URL: fake.url };
        await withIngest(env, async (ingest) => {
          await start('worker', env, started);
          const t0 = performance.now();
          // One user each: no earlier memories, so no reconciliation call; one model call per conversation.
          await ingest.enqueueMany(Array.from({ length: TOTAL }, (_, i) => ({ userId: `llm-${i}`, conversation: { ...conversation(i), messages: conversation(i).messages.slice(0, 2) } })));
          await completion(ingest, TOTAL);
          rates.push(TOTAL / ((performance.now() - t0) / 1000));
        });
      });
    } finally {
      await fake.stop();
    }
  }
  const ideal = (CONCURRENCY * 1000) / MODEL_MS;
  return {
    bench: 'slow-llm',
    figures: [
      figure(`${MODEL_MS / 1000} s model, concurrency ${CONCURRENCY}`, 'conv/s', rates, { value: 45, better: 'higher' }),
      figure('share of ideal', '%', rates.map((r) => (100 * r) / ideal), { value: 90, better: 'higher' }),
    ],
    notes: [`${TOTAL} conversations, each one extraction call answered after ${MODEL_MS} ms by a loopback Messages API (ideal: ${ideal}/s)`],
  };
}
