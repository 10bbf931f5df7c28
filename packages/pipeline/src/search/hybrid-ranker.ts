import type { SearchHit } from '@mnemo/store';
import { contentWords } from './text-words';

/** Word-level similarity, as the word-vector embedder provides it. */
export interface WordSimilarity {
  /** Cosine of two words' vectors (1 for the same word). */
  similarity(a: string, b: string): number;
  /** How much a query word counts (rare words more). */
  weight(word: string): number;
}

export interface RankWeights {
  /** The store's lexical score (BM25 over wording and keys, 0–1). */
  lexical: number;
  /** Sentence-vector cosine of the memory or its closest key. */
  vector: number;
  /** Share of the query's words that have a close word in the memory or its keys. */
  soft: number;
}

/** Chosen on the development part of `npm run eval:retrieval`; never on the held-out part. */
export const DEFAULT_WEIGHTS: RankWeights = { lexical: 1, vector: 0.6, soft: 1 };
/** Below this cosine two words are not taken for one another ("job"/"work" 0.6, "job"/"hospital" 0.39). */
export const SOFT_MATCH_FLOOR = 0.4;

export interface RankedHit extends SearchHit {
  score: number;
}

/**
 * Final ranking of the store's candidates: a linear mix of lexical match,
 * sentence-vector closeness and word-level soft matching. Averaged sentence
 * vectors blur a short question into its function words; matching each
 * query word to its closest word in the memory carries paraphrases
 * ("martial arts" / "kickboxing") that neither BM25 nor the average catches.
 */
export function rankHits(query: string, hits: SearchHit[], words: WordSimilarity | null, weights = DEFAULT_WEIGHTS): RankedHit[] {
  const queryWords = [...new Set(contentWords(query))];
  const queryWeight = queryWords.reduce((sum, w) => sum + (words?.weight(w) ?? 1), 0);
  return hits
    .map((hit) => {
      const closest = Math.min(hit.vector_distance, hit.key_distance ?? 1);
      const cosine = 1 - 2 * closest;
      let soft = 0;
      if (words && queryWords.length > 0) {
        const memoryWords = [...new Set(contentWords(`${hit.memory.memory} ${hit.memory.keys.join(' ')}`))];
        for (const q of queryWords) {
          let best = 0;
          for (const m of memoryWords) {
            const s = q === m ? 1 : words.similarity(q, m);
            if (s > best) best = s;
            if (best === 1) break;
          }
          if (best >= SOFT_MATCH_FLOOR) soft += words.weight(q) * best;
        }
        soft /= queryWeight;
      }
      const score = weights.lexical * hit.lexical + weights.vector * cosine + weights.soft * soft;
      return { ...hit, score: Math.round(score * 10_000) / 10_000 };
    })
    .sort((a, b) => b.score - a.score || a.vector_distance - b.vector_distance);
}
