import nlp from 'compromise';

/**
 * Rewrites a first-person clause as a standalone third-person memory:
 * "I just got promoted at Google" -> "User recently got promoted at Google".
 * Uses compromise for contractions and verb conjugation.
 */

const MODALS = new Set(['will', 'would', 'can', 'could', 'should', 'might', 'must', 'may', 'shall']);
const FIXED_VERBS: Record<string, string> = { am: 'is', was: 'was', have: 'has', do: 'does', are: 'is' };
const SKIPPABLE_ADVERBS = new Set([
  'just', 'really', 'also', 'still', 'usually', 'often', 'always', 'never', 'recently', 'currently', 'actually',
  'finally', 'sometimes', 'mostly', 'generally', 'definitely', 'totally', 'absolutely', 'now', 'even', 'only',
  'basically', 'literally', 'normally', 'rarely', 'already', 'mainly', 'honestly', 'seriously', 'typically',
]);

const presentCache = new Map<string, string>();

function thirdPersonOf(verb: string): string {
  const lower = verb.toLowerCase();
  const fixed = FIXED_VERBS[lower];
  if (fixed) return fixed;
  let form = presentCache.get(lower);
  if (form === undefined) {
    const conjugated = nlp(`I ${lower}`).verbs().conjugate()[0] as { PresentTense?: string } | undefined;
    form = conjugated?.PresentTense && conjugated.PresentTense.split(' ').length === 1 ? conjugated.PresentTense : lower;
    presentCache.set(lower, form);
  }
  return form;
}

/** Tagged in the frame "I <word>", so "live" reads as a verb, not an adjective. */
const presentVerbCache = new Map<string, boolean>();

function isPresentVerb(word: string): boolean {
  const lower = word.toLowerCase();
  let present = presentVerbCache.get(lower);
  if (present === undefined) {
    const term = nlp(`I ${lower}`).terms().eq(1);
    present = term.has('#Verb') && !term.has('#PastTense') && !term.has('#Gerund') && !term.has('#Modal');
    presentVerbCache.set(lower, present);
  }
  return present;
}

/**
 * Expands the contractions that matter for rewriting ("I'm", "don't"), so the
 * subject and verb are plain words. A fixed table: compromise's general
 * expansion also splits tokens like "401k".
 */
const CONTRACTIONS: [RegExp, string][] = [
  [/\b(I|we|you|they)'m\b/gi, '$1 am'],
  [/\b(we|you|they)'re\b/gi, '$1 are'],
  [/\b(I|we|you|they)'ve\b/gi, '$1 have'],
  [/\b(I|we|you|they|it|he|she)'ll\b/gi, '$1 will'],
  [/\b(I|we|you|they|he|she)'d\b/gi, '$1 would'],
  [/\bcan't\b/gi, 'cannot'],
  [/\bwon't\b/gi, 'will not'],
  [/\b(do|does|did|is|are|was|were|have|has|had|would|could|should|must|need)n't\b/gi, '$1 not'],
  // Spoken forms that would otherwise be conjugated as verbs of their own ("gotta" -> "gets").
  [/\b(I|we|you|they) (gotta|got to)\b/gi, '$1 have to'],
  [/\bgotta\b/gi, 'have to'],
  [/\bgonna\b/gi, 'going to'],
  [/\bwanna\b/gi, 'want to'],
];

export function expandContractions(text: string): string {
  let expanded = text.replace(/[\u2018\u2019]/g, "'");
  for (const [pattern, replacement] of CONTRACTIONS) expanded = expanded.replace(pattern, replacement);
  return expanded;
}

export function toThirdPerson(clause: string): string {
  let text = expandContractions(clause)
    // "my wife and I" -> "User and their wife"
    .replace(/\bmy ((?:\w+ ){0,2}\w+) and I\b/gi, 'User and their $1')
    .replace(/\bI and my ((?:\w+ ){0,2}\w+)\b/gi, 'User and their $1');

  const words = text.split(/(\s+)/);
  let seenPossessive = false;
  for (let i = 0; i < words.length; i++) {
    const raw = words[i]!;
    const match = /^([("'“]*)([A-Za-z]+)([^A-Za-z]*)$/.exec(raw);
    if (!match) continue;
    const [, lead, word, trail] = match as unknown as [string, string, string, string];
    const lower = word.toLowerCase();
    let replacement: string | null = null;
    if (word === 'I' || lower === 'we') {
      replacement = 'User';
      seenPossessive = true;
      rewriteVerbAfter(words, i + 2);
    } else if (lower === 'my' || lower === 'our') {
      replacement = seenPossessive ? 'their' : "User's";
      seenPossessive = true;
    } else if (lower === 'me' || lower === 'us') {
      // "Painting helps me explore my identity": with no "I" before it, "me" is the user, not "them".
      replacement = seenPossessive ? 'them' : 'User';
      seenPossessive = true;
    }
    else if (lower === 'myself' || lower === 'ourselves') replacement = 'themselves';
    else if (lower === 'mine' || lower === 'ours') replacement = 'theirs';
    if (replacement) words[i] = `${lead}${replacement}${trail}`;
  }
  text = words.join('');
  text = text
    .replace(/\bUser (just|only just)\b/g, 'User recently')
    .replace(/\bUser and their (\w+(?: \w+)?) is\b/g, 'User and their $1 are')
    .replace(/^\s*[,;:-]\s*/, '')
    .replace(/[\s.!?,;:]+$/, '')
    .trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Conjugates the verb following a first-person subject, skipping adverbs: "I (really) love" -> "loves". */
function rewriteVerbAfter(words: string[], start: number): void {
  for (let j = start; j < words.length; j += 2) {
    const match = /^([A-Za-z]+)([^A-Za-z]*)$/.exec(words[j] ?? '');
    if (!match) return;
    const [, word, trail] = match as unknown as [string, string, string];
    const lower = word.toLowerCase();
    if (SKIPPABLE_ADVERBS.has(lower)) continue;
    if (MODALS.has(lower)) return;
    if (lower in FIXED_VERBS || isPresentVerb(lower)) words[j] = `${thirdPersonOf(lower)}${trail}`;
    return;
  }
}
