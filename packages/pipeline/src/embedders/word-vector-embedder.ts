import { fnv1a } from './fnv1a';
import { contentWords } from '../search/text-words';
import type { Embedder } from '../types';
import type { WordVectors } from './word-vectors';

/**
 * Smooth inverse frequency (Arora et al., 2017): a word's weight is
 * a / (a + p(w)), so frequent words count for little. p(w) is estimated
 * from the word's frequency rank (Zipf), as the vectors come in frequency order.
 */
const SIF_A = 1e-3;
const ZIPF_NORMALISER = Math.log(400_000) + 0.5772;

export function sifWeight(rank: number): number {
  const p = 1 / ((rank + 1) * ZIPF_NORMALISER);
  return SIF_A / (SIF_A + p);
}

/** Weight of a word the vectors do not know (a name, a typo): treated as rare. */
export const UNKNOWN_WEIGHT = sifWeight(150_000);


/**
 * A fixed pseudo-random unit direction per unknown word, so the same name
 * in a memory and a query still meets in vector space (xorshift32 from the
 * word's hash; deterministic across processes).
 */
function unknownDirection(word: string, dimension: number): Float32Array {
  const v = new Float32Array(dimension);
  let state = fnv1a(word) || 1;
  let norm = 0;
  for (let d = 0; d < dimension; d++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    v[d] = (state >>> 0) / 0xffffffff - 0.5;
    norm += v[d]! * v[d]!;
  }
  norm = Math.sqrt(norm);
  for (let d = 0; d < dimension; d++) v[d]! /= norm;
  return v;
}

/**
 * Sentence vectors from pretrained word vectors, offline and deterministic:
 * the SIF-weighted mean of the text's content words, unit length. Similar
 * words ("job"/"work", "dog"/"pets") land near each other, which the
 * hashing embedder cannot do.
 */
export class WordVectorEmbedder implements Embedder {
  readonly name = 'words';
  readonly dimension: number;

  constructor(private readonly vectors: WordVectors) {
    this.dimension = vectors.dimension;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => Array.from(this.embedOne(text)));
  }

  /** The vector of a word and its SIF weight. */
  word(word: string): { vector: Float32Array; weight: number } {
    const index = this.vectors.indexOf(word);
    return index >= 0
      ? { vector: this.vectors.vectorAt(index), weight: sifWeight(index) }
      : { vector: unknownDirection(word, this.dimension), weight: UNKNOWN_WEIGHT };
  }

  embedOne(text: string): Float32Array {
    const sum = new Float32Array(this.dimension);
    for (const w of contentWords(text)) {
      const { vector, weight } = this.word(w);
      for (let d = 0; d < this.dimension; d++) sum[d]! += weight * vector[d]!;
    }
    let norm = 0;
    for (let d = 0; d < this.dimension; d++) norm += sum[d]! * sum[d]!;
    // A text with no content words gets a fixed direction rather than a zero vector (cosine is undefined at zero).
    if (norm === 0) return unknownDirection('', this.dimension);
    norm = Math.sqrt(norm);
    for (let d = 0; d < this.dimension; d++) sum[d]! /= norm;
    return sum;
  }
}
