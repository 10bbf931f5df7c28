import nlp from 'compromise';

/**
 * A memory must stand alone: a sentence with a subject and a verb, long
 * enough to say something, not addressed to anyone. Fragments such as
 * "Since User was twelve", "User's two kids" or "For showing them your
 * collection" are dropped rather than stored.
 */
const MIN_WORDS = 4;
const FRAGMENT_START = /^(since|because|cause|cuz|when|whenever|while|although|though|if|unless|for|to|with|as|after|before|until|till|and|but|or|so|which|who|that|like|than|about|from|of|by)\b/i;
const ADDRESSED = /\b(?<!thank[ -])(you|your|yours|yourself|u|ur)\b/i;

export function isWellFormedMemory(text: string): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length < MIN_WORDS) return false;
  if (FRAGMENT_START.test(text) || ADDRESSED.test(text)) return false;
  const doc = nlp(text);
  // "User thinks schools": a verb that needs a clause after it, left without one.
  if (/\b(thinks|believes|feels|says|knows|guesses|hopes|wishes)( that)?$/i.test(text.replace(/\s+\S+$/, '')) && words.length < 6) return false;
  return doc.has('#Verb');
}
