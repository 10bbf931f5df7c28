import { nlp } from './parse';

/**
 * A memory must stand alone: a sentence with a subject and a verb, long
 * enough to say something (four words, or three when they are "User", a
 * verb and its object), not addressed to anyone. Fragments such as
 * "Since User was twelve", "User's two kids" or "For showing them your
 * collection" are dropped rather than stored.
 */
const MIN_WORDS = 4;
/** "User loves hiking", "User is vegetarian": three words are enough for a subject, a verb and what it is about. */
const MIN_WORDS_WITH_SUBJECT = 3;
const FRAGMENT_START = /^(since|because|cause|cuz|when|whenever|while|although|though|if|unless|for|to|with|as|after|before|until|till|and|but|or|so|which|who|that|like|than|about|from|of|by)\b/i;
const ADDRESSED = /\b(?<!thank[ -])(you|your|yours|yourself|u|ur)\b/i;

/** `evidence`: the first-person words it came from, where the verb is easier to tag ("adores" reads as a noun alone). */
export function isWellFormedMemory(text: string, evidence = text): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  const subjectFirst = /^User('s)?\b/.test(text);
  if (words.length < (subjectFirst ? MIN_WORDS_WITH_SUBJECT : MIN_WORDS)) return false;
  if (FRAGMENT_START.test(text) || ADDRESSED.test(text)) return false;
  // "User thinks schools": a verb that needs a clause after it, left without one.
  if (/\b(thinks|believes|feels|says|knows|guesses|hopes|wishes)( that)?$/i.test(text.replace(/\s+\S+$/, '')) && words.length < 6) return false;
  // Last, as it costs a parse; the evidence first, since the clause rules have just parsed it.
  return nlp(evidence).has('#Verb') || nlp(text).has('#Verb');
}
