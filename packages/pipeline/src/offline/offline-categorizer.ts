import type { Category } from '@mnemo/core';
import type { CategorizedFact, ClassifiedFact, FactCategorizer } from '../types';
import type { WordVectors } from '../embedders/word-vectors';
import { CATEGORY_LEXICON } from './category-lexicon';
import { CategoryVectors } from './category-vectors';

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

/** How much a word-vector neighbour counts next to a lexicon hit (1). */
const VECTOR_WEIGHT = 0.3;

/**
 * Lexicon scoring: the best-matching categories, plus private when
 * sensitive words appear. With word vectors, words the lexicon lacks add
 * evidence for the category of their closest lexicon words.
 */
export function categoriesOf(text: string, custom: { category: string; pattern: RegExp }[] = [], vectors?: CategoryVectors): string[] {
  const full = text.toLowerCase();
  const lower = full.replace(/^user('s)?\s+/, '');
  const bonus = (category: Category) => (category === 'relationships' && RELATION_SUBJECT.test(full) ? 2 : 0);
  const hitWords = new Set<string>();
  const lexical = [...MATCHERS, ...custom].map(({ category, pattern }) => {
    const hits = lower.match(pattern) ?? [];
    for (const h of hits) for (const w of h.split(/\s+/)) hitWords.add(w.replace(/[^a-z']/g, ''));
    return { category, score: hits.length + bonus(category as Category) };
  });
  const near = vectors?.scores(lower, (w) => [...hitWords].some((h) => h.startsWith(w) || w.startsWith(h)));
  const scores = lexical
    .map(({ category, score }) => ({ category, score: score + VECTOR_WEIGHT * (near?.get(category as Category) ?? 0) }))
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
  private readonly vectors?: CategoryVectors;

  /** Without word vectors, the lexicon alone decides. */
  constructor(custom: CustomCategory[] = [], wordVectors?: WordVectors) {
    this.custom = custom.map((c) => ({ category: c.name, pattern: customMatcher(c) }));
    this.vectors = wordVectors ? new CategoryVectors(wordVectors) : undefined;
  }

  categoriesOf(text: string): string[] {
    return categoriesOf(text, this.custom, this.vectors);
  }

  async categorize(facts: ClassifiedFact[]): Promise<CategorizedFact[]> {
    return facts.map((fact) => ({ ...fact, categories: this.categoriesOf(fact.text) }));
  }
}
