import type { Category } from '@mnemo/core';
import type { WordVectors } from '../embedders/word-vectors';
import { contentWords } from '../search/text-words';
import { CATEGORY_LEXICON } from './category-lexicon';

/** Below this cosine a word is not taken as a sign of a category ("metformin"/"medication" 0.6, "bees"/"hobby" 0.3). */
const MIN_SIMILARITY = 0.55;

/**
 * The lexicon knows "medication" but not "metformin", "travel" but not
 * "layovers". With word vectors, a word the lexicon lacks still counts for
 * the category of its closest lexicon words.
 */
export class CategoryVectors {
  private readonly entries: { category: Category; vector: Float32Array }[] = [];
  private readonly cache = new Map<string, { category: Category; similarity: number } | null>();

  constructor(private readonly vectors: WordVectors) {
    for (const [category, words] of Object.entries(CATEGORY_LEXICON) as [Category, string[]][]) {
      if (category === 'private') continue;
      for (const entry of words) {
        const word = entry.replace(/\*$/, '');
        if (word.includes(' ')) continue;
        const index = vectors.indexOf(word);
        if (index >= 0) this.entries.push({ category, vector: vectors.vectorAt(index) });
      }
    }
  }

  /** The category whose lexicon holds the word's closest neighbour, when close enough. */
  private nearest(word: string): { category: Category; similarity: number } | null {
    if (this.cache.has(word)) return this.cache.get(word)!;
    const index = this.vectors.indexOf(word);
    let best: { category: Category; similarity: number } | null = null;
    if (index >= 0) {
      const v = this.vectors.vectorAt(index);
      for (const { category, vector } of this.entries) {
        let dot = 0;
        for (let d = 0; d < v.length; d++) dot += v[d]! * vector[d]!;
        if (dot >= MIN_SIMILARITY && (!best || dot > best.similarity)) best = { category, similarity: dot };
      }
    }
    this.cache.set(word, best);
    return best;
  }

  /** Evidence per category from the words of `text` that `skip` (the lexicon's own hits) leaves. */
  scores(text: string, skip: (word: string) => boolean): Map<Category, number> {
    const scores = new Map<Category, number>();
    for (const word of new Set(contentWords(text))) {
      if (skip(word)) continue;
      const hit = this.nearest(word);
      if (hit) scores.set(hit.category, (scores.get(hit.category) ?? 0) + hit.similarity);
    }
    return scores;
  }
}
