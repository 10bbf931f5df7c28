/**
 * English function words that say nothing about a topic: left out of
 * lexical queries (the store's BM25), of sentence vectors and of the
 * retrieval eval's baseline, so all of them read a question the same way.
 * "Does the user have any pets?" is about "pets" alone.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  ('a an the and or but if of at by for with about to from in on into over under is are was were be been being am ' +
    'have has had having do does did doing will would can could should may might must shall i me my mine myself we us our ' +
    'ours you your yours he him his she her hers it its they them their theirs this that these those there here ' +
    'user users what which who whom whose when where why how so than too very just also not no yes any some all each ' +
    'as up out off then now s t d ll m re ve get got gets one ones thing things stuff really like oh well yeah ok okay').split(' '),
);
