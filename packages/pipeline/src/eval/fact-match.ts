import stem from 'wink-porter2-stemmer';

/** Two phrasings of one fact share most content words; this threshold was chosen by reading pairs, not tuned. */
const MATCH_THRESHOLD = 0.5;
const STOP = new Set(
  'a an the and or but of at by for with to in on is are was were be been has have had do does did user their they them it its as about that this'.split(' '),
);

function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}$]+/gu) ?? [];
  return new Set(words.filter((w) => !STOP.has(w)).map((w) => stem(w)));
}

function similarity(a: string, b: string): number {
  const x = contentWords(a);
  const y = contentWords(b);
  const shared = [...x].filter((w) => y.has(w)).length;
  // Overlap relative to the shorter side: a shorter but correct phrasing still matches.
  return shared / Math.max(1, Math.min(x.size, y.size));
}

/** One-to-one greedy matching of predicted to expected facts, best pairs first. */
export function match<P, E>(predicted: P[], expected: E[], textOfP: (p: P) => string, textOfE: (e: E) => string) {
  const pairs: { p: number; e: number; score: number }[] = [];
  predicted.forEach((p, pi) => expected.forEach((e, ei) => pairs.push({ p: pi, e: ei, score: similarity(textOfP(p), textOfE(e)) })));
  pairs.sort((a, b) => b.score - a.score);
  const usedP = new Set<number>();
  const usedE = new Set<number>();
  const matched: { predicted: P; expected: E }[] = [];
  for (const { p, e, score } of pairs) {
    if (score < MATCH_THRESHOLD || usedP.has(p) || usedE.has(e)) continue;
    usedP.add(p);
    usedE.add(e);
    matched.push({ predicted: predicted[p]!, expected: expected[e]! });
  }
  return {
    matched,
    spurious: predicted.filter((_, i) => !usedP.has(i)),
    missed: expected.filter((_, i) => !usedE.has(i)),
  };
}

export const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);
