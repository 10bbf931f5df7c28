import stem from 'wink-porter2-stemmer';
import type { SearchHit } from '@mnemo/store';

export interface RerankedHit extends SearchHit {
  /** 0–1, higher is more relevant. */
  rerank_score: number;
}

/** Re-scores a candidate pool; a provider-backed reranker can implement the same port. */
export interface Reranker {
  rerank(query: string, hits: SearchHit[]): Promise<RerankedHit[]>;
}

const words = (text: string) =>
  new Set((text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []).filter((w) => w !== 'user').map((w) => stem(w)));

/**
 * Local reranking without a model: how much of the query the memory covers
 * (stemmed words), blended with vector closeness. Cheap enough to run over
 * a pool several times the requested size.
 */
export class LocalReranker implements Reranker {
  constructor(private readonly coverageWeight = 0.6) {}

  async rerank(query: string, hits: SearchHit[]): Promise<RerankedHit[]> {
    const terms = words(query);
    return hits
      .map((hit) => {
        const text = words(hit.memory.memory);
        const covered = terms.size ? [...terms].filter((t) => text.has(t)).length / terms.size : 0;
        const closeness = 1 - hit.vector_distance;
        const score = this.coverageWeight * covered + (1 - this.coverageWeight) * closeness;
        return { ...hit, rerank_score: Math.round(score * 10_000) / 10_000 };
      })
      .sort((a, b) => b.rerank_score - a.rerank_score);
  }
}
