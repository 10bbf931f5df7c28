import type { CategorizedFact, EmbeddedFact, Embedder } from '../types';

/** One batched embedding call for every fact of the job. */
export async function embed(facts: CategorizedFact[], embedder: Embedder): Promise<EmbeddedFact[]> {
  if (facts.length === 0) return [];
  const vectors = await embedder.embed(facts.map((f) => f.text), 'document');
  if (vectors.length !== facts.length) {
    throw new Error(`embedder ${embedder.name} returned ${vectors.length} vectors for ${facts.length} facts`);
  }
  return facts.map((fact, i) => ({ ...fact, vector: vectors[i]! }));
}
