import type { Category } from '@mnemo/core';
import type { CategorizedFact, ClassifiedFact, FactCategorizer } from '../types';
import { CATEGORY_LEXICON } from './category-lexicon';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function entryPattern(entry: string): string {
  return entry.endsWith('*') ? escape(entry.slice(0, -1)) : `${escape(entry)}(?:s|es|ed|d|ing|er|ers)?(?![a-z])`;
}

const MATCHERS = (Object.entries(CATEGORY_LEXICON) as [Category, string[]][]).map(([category, words]) => ({
  category,
  pattern: new RegExp(`(?<![a-z$€£])(?:${words.map(entryPattern).join('|')})`, 'g'),
}));

/** A fact whose subject is someone close to the user is first about that relationship. */
const RELATION_SUBJECT =
  /^user('s| and their) (wife|husband|partner|girlfriend|boyfriend|fianc\S*|son|daughter|kids?|child|children|mom|mum|mother|dad|father|parents?|brother|sister|siblings?|friends?|family|grand\w+|uncle|aunt|cousin|dog|cat|pets?)\b/;

/** Categories with at least this share of the best score are kept too (a fact can be career and finance). */
const KEEP_SHARE = 0.6;
const MAX_CATEGORIES = 2;

export interface CustomCategory {
  name: string;
  description: string;
}

/** A custom category matches its own name or the longer words of its description. */
function customMatcher({ name, description }: CustomCategory): RegExp {
  const words = [name.replace(/[-_]/g, ' '), ...(description.toLowerCase().match(/[a-z]{4,}/g) ?? [])];
  const stems = [...new Set(words)].filter((w) => !['user', 'users', 'their', 'about', 'with', 'from', 'that', 'this'].includes(w));
  return new RegExp(`(?<![a-z])(?:${stems.map((w) => entryPattern(w)).join('|')})`, 'g');
}

/** Lexicon scoring: the best-matching categories, plus private when sensitive words appear. */
export function categoriesOf(text: string, custom: { category: string; pattern: RegExp }[] = []): string[] {
  const full = text.toLowerCase();
  const lower = full.replace(/^user('s)?\s+/, '');
  const bonus = (category: Category) => (category === 'relationships' && RELATION_SUBJECT.test(full) ? 2 : 0);
  const scores = [...MATCHERS, ...custom].map(({ category, pattern }) => ({
    category,
    score: (lower.match(pattern)?.length ?? 0) + bonus(category as Category),
  }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const sensitive = scores.some((s) => s.category === 'private');
  const ranked = scores.filter((s) => s.category !== 'private');
  const top = ranked[0]?.score ?? 0;
  const chosen: string[] = ranked
    .filter((s) => s.score >= top * KEEP_SHARE)
    .slice(0, MAX_CATEGORIES)
    .map((s) => s.category);
  if (chosen.length === 0) chosen.push('identity');
  if (sensitive) chosen.push('private');
  return chosen;
}

export class OfflineCategorizer implements FactCategorizer {
  private readonly custom: { category: string; pattern: RegExp }[];

  constructor(custom: CustomCategory[] = []) {
    this.custom = custom.map((c) => ({ category: c.name, pattern: customMatcher(c) }));
  }

  async categorize(facts: ClassifiedFact[]): Promise<CategorizedFact[]> {
    return facts.map((fact) => ({ ...fact, categories: categoriesOf(fact.text, this.custom) }));
  }
}
