import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '@mnemo/core';
import { SqliteMemoryStore } from '@mnemo/store';
import { createEmbedder, createExtraction } from '../components';
import { ingestStages } from '../pipeline';
import { InProcessUserLock } from '../reconcile/in-process-lock';
import { runStages } from '../runner';
import { createSearcher } from '../search/search-memories';

/**
 * Retrieval evaluation (eval/retrieval/README.md): each conversation's
 * sessions go through the pipeline as the default configuration runs it,
 * then every question is searched, and the top-k memories score by the
 * share of the question's answer messages their provenance cites. The same
 * questions are asked of BM25 over the raw messages (SQLite FTS5's bm25,
 * porter stemming), the baseline any memory service must beat.
 */

interface EvalMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
}
interface EvalConversation {
  id: string;
  kind: string;
  user_name: string;
  sessions: { id: string; timestamp: string; messages: EvalMessage[] }[];
  questions: { id: string; question: string; answer_message_ids: string[]; phrasing: string }[];
}

const KS = [5, 10, 20] as const;

/** EVAL_WEIGHTS=lexical,vector,category,attribute tries other ranking weights (on the development part). */
function weightsFromEnv() {
  const raw = process.env.EVAL_WEIGHTS?.split(',').map(Number);
  return raw?.length === 4 ? { lexical: raw[0]!, vector: raw[1]!, category: raw[2]!, attribute: raw[3]! } : undefined;
}

interface Tally {
  questions: number;
  recall: Record<(typeof KS)[number], number>;
  hit10: number;
}

const emptyTally = (): Tally => ({ questions: 0, recall: { 5: 0, 10: 0, 20: 0 }, hit10: 0 });

/** Adds one question's ranked message-id lists (one list per result, best first). */
function score(tally: Tally, answers: string[], ranked: string[][]): void {
  tally.questions++;
  for (const k of KS) {
    const covered = new Set(ranked.slice(0, k).flat());
    tally.recall[k] += answers.filter((id) => covered.has(id)).length / answers.length;
  }
  const top10 = new Set(ranked.slice(0, 10).flat());
  if (answers.some((id) => top10.has(id))) tally.hit10++;
}

/**
 * The baseline's query words: every word but Lucene's English stop set, the
 * usual BM25 setup. Not mnemo's own (longer) list: the baseline should be
 * the search a team would run over its transcripts out of the box, and on
 * these questions the short list scores higher (it keeps "have", "any").
 */
const LUCENE_ENGLISH_STOP = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '),
);

function queryTermsOf(question: string): string[] {
  const words = question.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => !LUCENE_ENGLISH_STOP.has(w)))];
}

/** BM25 over the conversation's raw messages, in an in-memory FTS5 table. */
function rawMessageIndex(messages: EvalMessage[]) {
  const db = new Database(':memory:');
  db.exec("CREATE VIRTUAL TABLE m USING fts5(id UNINDEXED, content, tokenize='porter unicode61')");
  const insert = db.prepare('INSERT INTO m (id, content) VALUES (?, ?)');
  for (const message of messages) insert.run(message.id, message.content);
  const search = db.prepare<[string, number], { id: string }>('SELECT id FROM m WHERE m MATCH ? ORDER BY bm25(m) LIMIT ?');
  return {
    search(question: string, k: number): string[][] {
      const terms = queryTermsOf(question);
      if (terms.length === 0) return [];
      return search.all(terms.map((t) => `"${t}"`).join(' OR '), k).map((r) => [r.id]);
    },
    close: () => db.close(),
  };
}

async function evaluate(file: string, verbose: boolean) {
  const { conversations } = JSON.parse(fs.readFileSync(file, 'utf8')) as { conversations: EvalConversation[] };
  const config = loadConfig();
  const embedder = await createEmbedder(config);
  const tallies = { mnemo: emptyTally(), bm25: emptyTally(), bm25User: emptyTally() };
  const byPhrasing = new Map<string, { mnemo: Tally; bm25: Tally }>();
  const coverage = { answers: 0, cited: 0, memories: 0 };
  for (const conversation of conversations) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-retrieval-eval-'));
    const store = SqliteMemoryStore.open(dir, embedder.dimension);
    try {
      const extraction = createExtraction(config);
      const stages = ingestStages({ ...extraction, embedder, store, lock: new InProcessUserLock(), chunkTokens: config.MNEMO_CHUNK_TOKENS });
      const userId = `eval-${conversation.id}`;
      for (const session of conversation.sessions) {
        await runStages(
          stages,
          {
            userId,
            jobId: session.id,
            receivedAt: session.timestamp,
            conversation: {
              messages: session.messages.map(({ id, role, content }) => ({ id, role, content })),
              agent_id: 'eval',
              thread_id: session.id,
              source: 'eval',
              metadata: { timestamp: session.timestamp },
            },
          },
          undefined,
        );
      }
      const { items } = await store.list(userId, { page: 1, pageSize: 10_000 });
      const cited = new Set(items.flatMap((m) => m.provenance.flatMap((p) => p.message_ids)));
      coverage.memories += items.length;
      for (const q of conversation.questions) {
        coverage.answers += q.answer_message_ids.length;
        coverage.cited += q.answer_message_ids.filter((id) => cited.has(id)).length;
      }
      const search = createSearcher({ store, embedder, weights: weightsFromEnv() });
      const messages = conversation.sessions.flatMap((s) => s.messages);
      const raw = rawMessageIndex(messages);
      const userOnly = rawMessageIndex(messages.filter((m) => m.role === 'user'));
      for (const q of conversation.questions) {
        const hits = await search(userId, { query: q.question, limit: 20 });
        const ranked = hits.map((h) => h.memory.provenance.flatMap((p) => p.message_ids));
        score(tallies.mnemo, q.answer_message_ids, ranked);
        const baseline = raw.search(q.question, 20);
        score(tallies.bm25, q.answer_message_ids, baseline);
        score(tallies.bm25User, q.answer_message_ids, userOnly.search(q.question, 20));
        const phrasing = byPhrasing.get(q.phrasing) ?? { mnemo: emptyTally(), bm25: emptyTally() };
        score(phrasing.mnemo, q.answer_message_ids, ranked);
        score(phrasing.bm25, q.answer_message_ids, baseline);
        byPhrasing.set(q.phrasing, phrasing);
        if (verbose) {
          const top10 = new Set(ranked.slice(0, 10).flat());
          if (!q.answer_message_ids.some((id) => top10.has(id))) {
            const answer = q.answer_message_ids.map((id) => messages.find((m) => m.id === id)?.content).join(' | ');
            console.log(`  - ${q.id} [${q.phrasing}] ${q.question}\n      answer: ${answer}`);
            for (const h of hits.slice(0, 3)) console.log(`      got: ${h.memory.memory}`);
          }
        }
      }
      raw.close();
      userOnly.close();
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return { tallies, byPhrasing, coverage };
}

const fmt = (n: number, d: number) => (d === 0 ? '–' : (n / d).toFixed(3));

function row(name: string, t: Tally): string {
  return `${name.padEnd(34)}${KS.map((k) => fmt(t.recall[k], t.questions).padEnd(11)).join('')}${fmt(t.hit10, t.questions).padEnd(9)}${t.questions}`;
}

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const dir = path.resolve(__dirname, '../../eval/retrieval');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  // --dev: the development part alone, for tuning (the held-out part is only ever reported).
  const parts: [string, string[]][] = [
    ['development', files.filter((f) => f.startsWith('dev-'))],
    ['held-out', files.filter((f) => f.startsWith('holdout-'))],
  ];
  if (process.argv.includes('--dev')) parts.pop();
  const config = loadConfig();
  console.log(`\nRetrieval (packages/pipeline/eval/retrieval): extractor ${config.MNEMO_EXTRACTOR}, embedder ${config.MNEMO_EMBEDDER}\n`);
  for (const [part, names] of parts) {
    const total = { mnemo: emptyTally(), bm25: emptyTally(), bm25User: emptyTally() };
    const phrasings = new Map<string, { mnemo: Tally; bm25: Tally }>();
    const covered = { answers: 0, cited: 0, memories: 0 };
    for (const name of names) {
      if (verbose) console.log(`\n${name}`);
      const { tallies, byPhrasing, coverage } = await evaluate(path.join(dir, name), verbose);
      covered.answers += coverage.answers;
      covered.cited += coverage.cited;
      covered.memories += coverage.memories;
      for (const key of ['mnemo', 'bm25', 'bm25User'] as const) add(total[key], tallies[key]);
      for (const [p, t] of byPhrasing) {
        const into = phrasings.get(p) ?? { mnemo: emptyTally(), bm25: emptyTally() };
        add(into.mnemo, t.mnemo);
        add(into.bm25, t.bm25);
        phrasings.set(p, into);
      }
    }
    console.log(`${part} (${names.join(', ')})`);
    console.log(`memories stored: ${covered.memories}; answer messages some memory cites: ${fmt(covered.cited, covered.answers)}`);
    console.log(`${''.padEnd(34)}${'recall@5'.padEnd(11)}${'recall@10'.padEnd(11)}${'recall@20'.padEnd(11)}${'hit@10'.padEnd(9)}questions`);
    console.log(row('mnemo', total.mnemo));
    console.log(row('BM25, raw messages', total.bm25));
    console.log(row("BM25, the user's messages only", total.bm25User));
    for (const [p, t] of [...phrasings].sort()) {
      console.log(row(`  ${p}: mnemo`, t.mnemo));
      console.log(row(`  ${p}: BM25 raw`, t.bm25));
    }
    console.log('');
  }
}

function add(into: Tally, from: Tally): void {
  into.questions += from.questions;
  into.hit10 += from.hit10;
  for (const k of KS) into.recall[k] += from.recall[k];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
