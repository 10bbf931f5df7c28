import type { Category } from '@mnemo/core';
import type { CategorizedFact, ClassifiedFact, FactCategorizer } from '../types';
import { CATEGORY_LEXICON } from './category-lexicon';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const MATCHERS = (Object.entries(CATEGORY_LEXICON) as [Category, string[]][]).map(([category, words]) => ({
  category,
  pattern: new RegExp(`(?<![a-z])(?:${words.map(escape).join('|')})`, 'g'),
}));

/** Categories with at least this share of the best score are kept too (a fact can be career and finance). */
const KEEP_SHARE = 0.6;
const MAX_CATEGORIES = 2;

/** Lexicon scoring: the best-matching categories, plus private when sensitive words appear. */
export function categoriesOf(text: string): Category[] {
  const lower = text.toLowerCase().replace(/^user('s)?\s+/, '');
  const scores = MATCHERS.map(({ category, pattern }) => ({ category, score: lower.match(pattern)?.length ?? 0 }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const sensitive = scores.some((s) => s.category === 'private');
  const ranked = scores.filter((s) => s.category !== 'private');
  const top = ranked[0]?.score ?? 0;
  const chosen = ranked
    .filter((s) => s.score >= top * KEEP_SHARE)
    .slice(0, MAX_CATEGORIES)
    .map((s) => s.category);
  if (chosen.length === 0) chosen.push('identity');
  if (sensitive) chosen.push('private');
  return chosen;
}

export class OfflineCategorizer implements FactCategorizer {
  async categorize(facts: ClassifiedFact[]): Promise<CategorizedFact[]> {
    return facts.map((fact) => ({ ...fact, categories: categoriesOf(fact.text) }));
  }
}
