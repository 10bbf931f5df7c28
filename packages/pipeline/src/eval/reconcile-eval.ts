import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteMemoryStore } from '@mnemo/store';
import { LocalEmbedder } from '../embedders/local-embedder';
import { OfflineCategorizer } from '../offline/offline-categorizer';
import { OfflineClassifier } from '../offline/offline-classifier';
import { OfflineExtractor } from '../offline/offline-extractor';
import { ingestStages } from '../pipeline';
import { InProcessUserLock } from '../reconcile/in-process-lock';
import { OfflineReconciler } from '../reconcile/offline-reconciler';
import { runStages } from '../runner';
import { match, pct } from './fact-match';

/**
 * Scores reconciliation: each sequence of conversations goes through the
 * whole offline pipeline into an empty store, and the memories left current
 * and superseded are compared with the expected ones.
 */

interface Sequence {
  id: string;
  steps: { reference_time: string; messages: ['user' | 'assistant', string][] }[];
  current: string[];
  superseded: string[];
}

export async function evaluateReconciliation(file: string, verbose: boolean): Promise<[string, string][]> {
  const sequences = JSON.parse(fs.readFileSync(file, 'utf8')) as Sequence[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-eval-'));
  const embedder = new LocalEmbedder(256);
  const store = SqliteMemoryStore.open(dir, embedder.dimension);
  const stages = ingestStages({
    extractor: new OfflineExtractor(),
    classifier: new OfflineClassifier(),
    categorizer: new OfflineCategorizer(),
    embedder,
    store,
    reconciler: new OfflineReconciler(),
    lock: new InProcessUserLock(),
    chunkTokens: 4_000,
  });
  const counts = () => ({ matched: 0, found: 0, expected: 0 });
  const totals = { exact: 0, current: counts(), superseded: counts(), duplicates: 0 };
  try {
    for (const sequence of sequences) {
      const userId = `eval-${sequence.id}`;
      for (const [i, step] of sequence.steps.entries()) {
        const conversation = { messages: step.messages.map(([role, content]) => ({ role, content })), agent_id: 'eval', thread_id: `${sequence.id}-${i}`, source: 'eval', metadata: { timestamp: step.reference_time } };
        await runStages(stages, { userId, jobId: `${sequence.id}-${i}`, conversation, receivedAt: step.reference_time }, undefined);
      }
      const { items } = await store.list(userId, { page: 1, pageSize: 100, filter: { include_superseded: true } });
      const current = items.filter((m) => !m.valid_until).map((m) => m.memory);
      const superseded = items.filter((m) => m.valid_until).map((m) => m.memory);
      const c = match(current, sequence.current, (t) => t, (t) => t);
      const s = match(superseded, sequence.superseded, (t) => t, (t) => t);
      for (const [total, result, found, expected] of [
        [totals.current, c, current, sequence.current],
        [totals.superseded, s, superseded, sequence.superseded],
      ] as const) {
        total.matched += result.matched.length;
        total.found += found.length;
        total.expected += expected.length;
      }
      // A current memory left over that says the same as a matched one is a duplicate.
      totals.duplicates += match(c.spurious, c.matched.map((m) => m.predicted), (t) => t, (t) => t).matched.length;
      const exact = [c, s].every((r) => r.spurious.length === 0 && r.missed.length === 0);
      if (exact) totals.exact++;
      if (verbose && !exact) {
        console.log(`  ${sequence.id}: current ${JSON.stringify(current)} superseded ${JSON.stringify(superseded)}`);
      }
    }
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const { current, superseded } = totals;
  return [
    ['sequences', String(sequences.length)],
    ['final state exactly right', `${totals.exact}/${sequences.length}`],
    ['current memories: precision', pct(current.matched, current.found)],
    ['current memories: recall', pct(current.matched, current.expected)],
    ['superseded memories: precision', pct(superseded.matched, superseded.found)],
    ['superseded memories: recall', pct(superseded.matched, superseded.expected)],
    ['duplicate current memories', String(totals.duplicates)],
  ];
}
