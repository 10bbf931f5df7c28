import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Category, type Config, type MemoryType } from '@mnemo/core';
import { createExtraction } from '../components';
import { conversationInput } from '../conversation-input';
import { analyze } from '../stages/analyze';
import type { CategorizedFact } from '../types';
import { match, pct } from './fact-match';
import { evaluateReconciliation } from './reconcile-eval';

/**
 * Scores the configured extractor (offline unless MNEMO_EXTRACTOR or
 * MNEMO_LLM_PROVIDER says otherwise, so a local model can be measured the
 * same way) against labelled conversations: precision and recall of facts,
 * type accuracy and category accuracy on the facts it found.
 * Two sets: eval/conversations.json (development: its misses guided the
 * rules) and eval/holdout.json (written after the rules, never tuned on: the
 * honest estimate). `--verbose` lists every miss.
 */

interface Expected {
  memory: string;
  type: MemoryType;
  categories: Category[];
}
interface Fixture {
  id: string;
  reference_time: string;
  messages: ['user' | 'assistant', string][];
  expected: Expected[];
}


async function evaluate(file: string, config: Config, verbose: boolean): Promise<[string, string][]> {
  const fixtures = JSON.parse(fs.readFileSync(file, 'utf8')) as Fixture[];
  // As the service builds it (offline: the lexicon helped by the word vectors).
  const { extractor, classifier, categorizer } = createExtraction(config);

  let predictedTotal = 0;
  let expectedTotal = 0;
  let matchedTotal = 0;
  let typeCorrect = 0;
  let primaryCategoryCorrect = 0;
  let categorySetExact = 0;
  let smallTalk = 0;
  let smallTalkClean = 0;

  for (const fixture of fixtures) {
    const analysis = analyze(conversationInput(fixture.messages, fixture.reference_time), 4_000);
    const facts = await categorizer.categorize(await classifier.classify((await extractor.extract(analysis)).facts, analysis.referenceTime));
    const { matched, spurious, missed } = match(facts, fixture.expected, (f) => f.text, (e) => e.memory);
    predictedTotal += facts.length;
    expectedTotal += fixture.expected.length;
    matchedTotal += matched.length;
    for (const { predicted, expected } of matched) {
      if (predicted.type === expected.type) typeCorrect++;
      if (predicted.categories.includes(expected.categories[0]!)) primaryCategoryCorrect++;
      const same = predicted.categories.length === expected.categories.length && expected.categories.every((c) => predicted.categories.includes(c));
      if (same) categorySetExact++;
      if (verbose && (predicted.type !== expected.type || !predicted.categories.includes(expected.categories[0]!))) {
        console.log(`  ~ ${fixture.id}: "${predicted.text}" ${predicted.type} [${predicted.categories}] ` +
          `expected ${expected.type} [${expected.categories}]`);
      }
    }
    if (fixture.expected.length === 0) {
      smallTalk++;
      if (facts.length === 0) smallTalkClean++;
    }
    if (verbose) {
      for (const s of spurious) console.log(`  + ${fixture.id}: extra "${s.text}"`);
      for (const m of missed) console.log(`  - ${fixture.id}: missed "${m.memory}"`);
    }
  }

  const precision = predictedTotal ? matchedTotal / predictedTotal : 0;
  const recall = expectedTotal ? matchedTotal / expectedTotal : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const rows: [string, string][] = [
    ['conversations', String(fixtures.length)],
    ['expected facts', String(expectedTotal)],
    ['extracted facts', String(predictedTotal)],
    ['matched', String(matchedTotal)],
    ['precision', pct(matchedTotal, predictedTotal)],
    ['recall', pct(matchedTotal, expectedTotal)],
    ['F1', `${(100 * f1).toFixed(1)}%`],
    ['type accuracy (matched)', pct(typeCorrect, matchedTotal)],
    ['primary category accuracy (matched)', pct(primaryCategoryCorrect, matchedTotal)],
    ['exact category set (matched)', pct(categorySetExact, matchedTotal)],
    ['small talk with zero memories', `${smallTalkClean}/${smallTalk}`],
  ];
  return rows;
}

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  // --dev: the development sets alone, for tuning (the held-out ones are only ever reported).
  const dev = process.argv.includes('--dev');
  const sets = dev ? ['conversations.json', 'conversations.json'] : ['conversations.json', 'holdout.json'];
  const config = loadConfig();
  const results: [string, string][][] = [];
  for (const name of sets) {
    if (verbose) console.log(`\n${name}`);
    results.push(await evaluate(path.resolve(__dirname, '../../eval', name), config, verbose));
  }
  const model = { offline: '', claude: ` (${config.MNEMO_CLAUDE_MODEL})`, 'openai-compatible': ` (${config.MNEMO_LLM_MODEL} at ${config.MNEMO_LLM_BASE_URL})` }[config.MNEMO_EXTRACTOR];
  console.log(`\nExtractor ${config.MNEMO_EXTRACTOR}${model} (packages/pipeline/eval)\n`);
  console.log(`${''.padEnd(38)}${'development'.padEnd(14)}held-out`);
  results[0]!.forEach(([name, value], i) => console.log(`${name.padEnd(38)}${value.padEnd(14)}${results[1]![i]![1]}`));

  // Held-out sequences were written after the rules and are never tuned on.
  const reconciled: [string, string][][] = [];
  for (const name of dev ? ['reconciliation.json', 'reconciliation.json'] : ['reconciliation.json', 'reconciliation-holdout.json']) {
    if (verbose) console.log(`\n${name}`);
    reconciled.push(await evaluateReconciliation(path.resolve(__dirname, '../../eval', name), verbose));
  }
  console.log('\nReconciliation, offline pipeline end to end\n');
  console.log(`${''.padEnd(38)}${'development'.padEnd(14)}held-out`);
  reconciled[0]!.forEach(([name, value], i) => console.log(`${name.padEnd(38)}${value.padEnd(14)}${reconciled[1]![i]![1]}`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
