import { STOPWORDS } from '@mnemo/core';

/**
 * Words of a text as the word-vector embedder and the search ranker read
 * them: lower-case letters (an inner apostrophe kept: "don't"), with the
 * function words that carry no topic left out. Content words in order of
 * appearance, duplicates kept.
 */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').replace(/[\u2018\u2019]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  return words.map((w) => w.replace(/'s$/, '')).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}
