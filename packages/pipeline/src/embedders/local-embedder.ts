import { fnv1a } from './fnv1a';
import stem from 'wink-porter2-stemmer';
import type { Embedder } from '../types';

/**
 * Deterministic embeddings with no model and no network: feature hashing of
 * stemmed words, word pairs and character trigrams into a fixed-size vector,
 * L2-normalised so cosine similarity reflects shared vocabulary and morphology.
 * Good for exact and near-duplicate matching and keyword-like search; a hosted
 * embedder gives real semantic similarity.
 */
const STOPWORDS = new Set(
  ('a an the and or but if of at by for with about to from in on into over under is are was were be been being am ' +
    'have has had do does did will would can could should may might must i me my we our you your he she it they them ' +
    'their his her its this that these those user users what which who whom so than too very just also not no').split(' '),
);


export class LocalEmbedder implements Embedder {
  readonly name = 'hashing';

  constructor(readonly dimension: number) {}

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }

  embedOne(text: string): number[] {
    const vector = new Float64Array(this.dimension);
    const add = (feature: string, weight: number) => {
      const hash = fnv1a(feature);
      // One hash bit picks the sign, so unrelated features cancel out on average.
      vector[hash % this.dimension]! += hash & 0x80000000 ? -weight : weight;
    };
    const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
    const stems = words.filter((w) => !STOPWORDS.has(w)).map((w) => stem(w));
    stems.forEach((s, i) => {
      add(`w:${s}`, 1);
      if (i > 0) add(`b:${stems[i - 1]} ${s}`, 0.5);
      const padded = `^${s}$`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25);
    });
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    return Array.from(vector, (v) => v / norm);
  }
}
