import type { MemoryFilter, MemoryStore } from '@mnemo/store';
import { categoriesOf } from '../offline/offline-categorizer';
import { isOrdinaryWord } from '../offline/referents';
import { factAttributes } from '../reconcile/attributes';
import type { Embedder } from '../types';
import { rankHits, type RankedHit, type RankWeights } from './hybrid-ranker';

/**
 * Memories say "User ...", people ask about "Caroline": a query that uses
 * the name the user gave mnemo asks about the user. The name is read from
 * the user's current name memories.
 */
export async function queryForUser(store: MemoryStore, userId: string, query: string): Promise<string> {
  const { items } = await store.list(userId, { page: 1, pageSize: 5, filter: { attributes: ['name'] } });
  let rewritten = query;
  for (const memory of items) {
    const name = factAttributes(memory.memory).find((a) => a.name === 'name' && !a.negated)?.value;
    if (!name) continue;
    for (const part of name.split(/\s+/).filter((p) => p.length > 1)) {
      const word = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const capital = word.charAt(0).toUpperCase() + word.slice(1);
      // "June", "Will", "Art": a name only when capitalised and not the question's first word ("Will the user move?").
      const [possessive, bare] = isOrdinaryWord(part)
        ? [new RegExp(`(?<=\\S\\s+)\\b${capital}'s\\b`, 'g'), new RegExp(`(?<=\\S\\s+)\\b${capital}\\b`, 'g')]
        : [new RegExp(`\\b${word}'s\\b`, 'gi'), new RegExp(`\\b${word}\\b`, 'gi')];
      rewritten = rewritten.replace(possessive, "the user's");
      // A month or weekday is capitalised anyway: "in June" stays a month; only "June's" is the user.
      if (!/^(january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$/i.test(part)) {
        rewritten = rewritten.replace(bare, 'the user');
      }
    }
  }
  return rewritten.replace(/\bthe user the user\b/g, 'the user');
}

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

/**
 * The single-valued attributes a question asks for, named as the store
 * names them: "where does Maya work?" wants the memory that states an
 * employer or a job title, whatever other memories say "work".
 */
const ASKS: [RegExp, string[]][] = [
  [/\bwhere\b.*\b(work|works|working|employed)\b|\b(employer|company|job|occupation|profession|line of work|for a living|job title|role)\b|\bwhat does .+ do\b/i, ['employer', 'job_title']],
  [/\bwhere\b.*\b(live|lives|living|based|reside|resides)\b|\b(home ?town|home city)\b/i, ['home_city']],
  [/\b(name|called)\b/i, ['name']],
  [/\b(married|single|relationship status|dating|engaged)\b/i, ['relationship_status']],
];

export function attributesAsked(query: string): string[] {
  return [...new Set(ASKS.filter(([pattern]) => pattern.test(query)).flatMap(([, names]) => names))];
}

/** What the question is about, by the same lexicon that files memories; none when it names no topic. */
function queryCategories(query: string): string[] {
  const found = categoriesOf(query.replace(/\b(the )?user('s)?\b/gi, ''));
  return found.length === 1 && found[0] === 'identity' && !/\b(live|name|age|old|from|born)\b/i.test(query) ? [] : found.filter((c) => c !== 'private');
}

/**
 * Search as the API runs it: embed the query, take a candidate pool from the
 * store (vector, key-vector and lexical lists), rank it by the hybrid score.
 * A query naming the user by their name asks about the user.
 */
export function createSearcher({ store, embedder, weights }: SearcherDeps) {
  return async (userId: string, { query, limit, filter }: SearchRequest): Promise<RankedHit[]> => {
    const asked = await queryForUser(store, userId, query);
    const [vector] = await embedder.embed([asked], 'query');
    const pool = Math.max(MIN_POOL, limit * POOL_FACTOR);
    const hits = await store.search(userId, { vector: vector!, text: asked, limit: pool, filter });
    return rankHits(hits, queryCategories(asked), weights, attributesAsked(asked)).slice(0, limit);
  };
}
