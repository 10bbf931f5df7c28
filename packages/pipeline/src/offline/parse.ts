import compromise from 'compromise';

type Doc = ReturnType<typeof compromise>;

/**
 * compromise's parse of a text, remembered for the last few texts. The
 * offline rules ask several questions of the same clause (has it a verb? a
 * noun? content words? does it lean on context?), and a parse costs about
 * 100 µs however short the clause, so parsing it once per question made a
 * message of short sentences the slowest input there is (issue 13). Callers
 * only read the parse (has, match, not, terms, out), never tag it.
 */
const recent = new Map<string, Doc>();
const RECENT = 16;

export function nlp(text: string): Doc {
  let doc = recent.get(text);
  if (doc === undefined) {
    doc = compromise(text);
    recent.set(text, doc);
    if (recent.size > RECENT) recent.delete(recent.keys().next().value as string);
  }
  return doc;
}
