import { RELATION_WORDS } from '../offline/referents';
import type { ExtractedFact } from '../types';
import { factAttributes } from './attributes';

/**
 * One fact per memory. "User lives in Lisbon with their wife Ana" states
 * where the user lives and who they live with: stored whole, a move to
 * Paris would close it and Ana would vanish from search and the profile.
 * A single-valued attribute (home city, employer, ...) with company
 * attached is split into the attribute and the company, before
 * reconciliation, for any extractor.
 */
const RELATION = [...RELATION_WORDS, 'parent', 'children', 'family', 'folks']
  .sort((a, b) => b.length - a.length)
  .map((w) => w.replace(/ /g, '\\s+'))
  .join('|');
/** "their wife Ana", "their two kids", "their parents": a relation, maybe counted, plural or named. */
const COMPANION = `(?:(?:two|three|four|five|\\d+)\\s+)?(?:${RELATION})s?(?:\\s+[A-Z][\\p{L}'-]+)?`;
const WITH_COMPANY = new RegExp(
  `^(User\\s+\\S+)(\\s.+?)\\s+with\\s+((?:their|User's)\\s+${COMPANION}(?:,?\\s+and\\s+(?:their|our|User's)\\s+${COMPANION})*)(.*)$`,
  'u',
);

export function splitCompound(fact: ExtractedFact): ExtractedFact[] {
  const m = WITH_COMPANY.exec(fact.text);
  if (!m) return [fact];
  const [, subjectVerb, rest, company, tail] = m as unknown as [string, string, string, string, string];
  const attribute = `${subjectVerb}${rest}`;
  if (!factAttributes(attribute).some((a) => !a.name.startsWith('stance:'))) return [fact];
  return [
    { ...fact, text: `${attribute}${tail}`.trim() },
    { ...fact, text: `${subjectVerb} with ${company.replace(/\b(our|User's)\s/g, 'their ')}` },
  ];
}

export function splitCompounds(facts: ExtractedFact[]): ExtractedFact[] {
  return facts.flatMap(splitCompound);
}
