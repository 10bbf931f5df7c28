import nlp from 'compromise';
import stem from 'wink-porter2-stemmer';
import { memo } from '../offline/memo';

/**
 * The content of a fact as a set of word stems, for deciding whether two
 * facts say the same thing: function words, the subject and intensifiers
 * drop out, and a few common synonyms fold together ("loves", "enjoys" and
 * "likes" are one stance).
 */

const FUNCTION_WORDS = new Set(
  ('a an the and or but of at by for with to in on is are was were be been being has have had do does did ' +
    'user users their they them it its as about that this these those there from into than then so very really ' +
    'truly absolutely quite just also still now currently recently always usually often actually definitely ' +
    'totally basically honestly pretty much lot lots s got get gets getting')
    .split(' '),
);

/** Stems that mean the same in the statements people make about themselves. */
const SYNONYMS: Record<string, string> = {
  love: 'like',
  enjoy: 'like',
  ador: 'like',
  fond: 'like',
  fan: 'like',
  prefer: 'like',
  favourit: 'like',
  favorit: 'like',
  call: 'name',
  base: 'live',
  resid: 'live',
  employ: 'work',
  job: 'work',
};

const stemCache = new Map<string, string>();

function canonicalStem(word: string): string {
  let result = stemCache.get(word);
  if (result === undefined) {
    const stemmed = stem(word);
    result = SYNONYMS[stemmed] ?? stemmed;
    stemCache.set(word, result);
  }
  return result;
}

/** The words of a text, lower-cased, letters and digits only. */
export function wordsOf(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(/['’]s\b/g, '').match(/[\p{L}\p{N}]+/gu) ?? [];
}

export function contentStems(text: string): Set<string> {
  return new Set(wordsOf(text).filter((w) => !FUNCTION_WORDS.has(w)).map(canonicalStem));
}

/** Whether every element of `a` is in `b`. */
export function isSubset(a: Set<string>, b: Set<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The head of a noun phrase as a stem: "black coffee" -> "coffe", "playing guitar" -> "guitar". */
export function headStem(phrase: string): string | null {
  const words = wordsOf(phrase).filter((w) => !FUNCTION_WORDS.has(w));
  const last = words.at(-1);
  return last ? canonicalStem(last) : null;
}

/** The head word as people write it, singular: "stance:movie", not the stem "stance:movi". */
export function headWord(phrase: string): string | null {
  const words = wordsOf(phrase).filter((w) => !FUNCTION_WORDS.has(w));
  const last = words.at(-1);
  return last ? singularOf(last) : null;
}

/** Asked for every stance of every fact and every candidate it is compared with: one parse per word. */
const singularOf = memo((word: string): string => nlp(word).nouns().toSingular().text().toLowerCase() || word);
