/**
 * Words of a text as the word-vector embedder and the search ranker read
 * them: lower-case letters (an inner apostrophe kept: "don't"), with the
 * function words that carry no topic left out.
 */
const STOPWORDS = new Set(
  ('a an the and or but if of at by for with about to from in on into over under is are was were be been being am ' +
    'have has had having do does did doing will would can could should may might must shall i me my mine myself we us our ' +
    'ours you your yours he him his she her hers it its they them their theirs this that these those there here ' +
    'user users what which who whom whose when where why how so than too very just also not no yes any some all each ' +
    'as up out off then now s t d ll m re ve get got gets one ones thing things stuff really like oh well yeah ok okay').split(' '),
);

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Content words in order of appearance, duplicates kept. */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').replace(/[\u2018\u2019]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  return words.map((w) => w.replace(/'s$/, '')).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}
