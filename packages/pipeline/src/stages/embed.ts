import type { Analysis, CategorizedFact, EmbeddedFact, Embedder } from '../types';

/** A key is a retrieval aid, not an archive: a very long message is keyed by its start. */
const KEY_MAX_CHARS = 1_000;

/**
 * The retrieval keys of each fact: the text of the user turns it came from,
 * with the assistant's question before a turn when there is one (a short
 * answer means little without it).
 */
export function keysOf(fact: CategorizedFact, analysis: Analysis): string[] {
  const byId = new Map(analysis.turns.map((t) => [t.messageId, t]));
  const keys: string[] = [];
  for (const id of fact.messageIds) {
    const turn = byId.get(id);
    if (!turn) continue;
    const text = turn.precedingQuestion ? `${turn.precedingQuestion} ${turn.content}` : turn.content;
    const key = text.slice(0, KEY_MAX_CHARS);
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** One batched embedding call for every fact of the job and every distinct key. */
export async function embed(facts: CategorizedFact[], embedder: Embedder, analysis: Analysis): Promise<EmbeddedFact[]> {
  if (facts.length === 0) return [];
  const factKeys = facts.map((f) => keysOf(f, analysis));
  const distinctKeys = [...new Set(factKeys.flat())];
  const texts = [...facts.map((f) => f.text), ...distinctKeys];
  const vectors = await embedder.embed(texts, 'document');
  if (vectors.length !== texts.length) {
    throw new Error(`embedder ${embedder.name} returned ${vectors.length} vectors for ${texts.length} texts`);
  }
  const keyVector = new Map(distinctKeys.map((k, i) => [k, vectors[facts.length + i]!]));
  return facts.map((fact, i) => ({
    ...fact,
    vector: vectors[i]!,
    keys: factKeys[i]!.map((text) => ({ text, vector: keyVector.get(text)! })),
  }));
}
