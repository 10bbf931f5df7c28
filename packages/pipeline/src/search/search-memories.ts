import type { MemoryFilter, MemoryStore } from '@mnemo/store';
import type { Embedder } from '../types';
import { rankHits, type RankedHit, type RankWeights, type WordSimilarity } from './hybrid-ranker';

export interface SearchRequest {
  query: string;
  limit: number;
  filter?: MemoryFilter;
}

export interface SearcherDeps {
  store: MemoryStore;
  embedder: Embedder;
  weights?: RankWeights;
}

/** Candidates the store returns for each result asked for, re-ranked here. */
const POOL_FACTOR = 5;
const MIN_POOL = 50;

/** An embedder that can also compare single words (the word-vector one). */
function wordSimilarity(embedder: Embedder): WordSimilarity | null {
  const candidate = embedder as Partial<WordSimilarity>;
  return typeof candidate.similarity === 'function' && typeof candidate.weight === 'function' ? (candidate as WordSimilarity) : null;
}

/**
 * Search as the API runs it: embed the query, take a candidate pool from the
 * store (vector, key-vector and lexical lists), rank it by the hybrid score.
 */
export function createSearcher({ store, embedder, weights }: SearcherDeps) {
  const words = wordSimilarity(embedder);
  return async (userId: string, { query, limit, filter }: SearchRequest): Promise<RankedHit[]> => {
    const [vector] = await embedder.embed([query], 'query');
    const pool = Math.max(MIN_POOL, limit * POOL_FACTOR);
    const hits = await store.search(userId, { vector: vector!, text: query, limit: pool, filter });
    return rankHits(query, hits, words, weights).slice(0, limit);
  };
}
