import { apiIngest } from './api-ingest';
import { printTable, save, type BenchResult } from './harness';
import { importer } from './import';
import { pipeline } from './pipeline';
import { redisCost } from './redis-cost';
import { replicaWait } from './replica-wait';
import { search } from './search';
import { slowLlm } from './slow-llm';

const BENCHES = { 'api-ingest': apiIngest, pipeline, 'slow-llm': slowLlm, search, import: importer, 'replica-wait': replicaWait, 'redis-cost': redisCost } as const;

/**
 * npm run bench            every benchmark
 * npm run bench -- search  one (or several) by name
 * Prints a table and writes bench/results/latest.json. Never fails on a
 * missed target: benchmarks report, tests judge.
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  const chosen = (names.length ? names : Object.keys(BENCHES)) as (keyof typeof BENCHES)[];
  const results: BenchResult[] = [];
  for (const name of chosen) {
    console.log(`running ${name}…`);
    const started = Date.now();
    try {
      results.push(await BENCHES[name]());
    } catch (err) {
      results.push({ bench: name, figures: [], notes: [`failed: ${err instanceof Error ? err.message : String(err)}`] });
    }
    console.log(`  ${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  printTable(results);
  save(results);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
