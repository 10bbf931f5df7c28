import compromise from 'compromise';
import { piecesOf, SENTENCE_CHARS } from './bounded-sentences';
import { memo } from './memo';
import { nlp } from './parse';

/**
 * The people and animals a conversation names, so a later "she" or "her"
 * can stand for "User's dog Susie" in a memory that must make sense alone.
 * Offline there is no coreference model: a pronoun is resolved only when
 * exactly one named referent of a fitting gender was mentioned in the last
 * few turns; otherwise it stays unresolved and the clause is not stored.
 */

export type Gender = 'f' | 'm' | '?';

export interface Referent {
  /** How a memory names it: "User's sister Jenny", "User's dog", "Carol". */
  mention: string;
  /** Its first name, when given. */
  name: string | null;
  relation: string | null;
  gender: Gender;
  /** Turn index of the latest mention. */
  turn: number;
}

const FEMALE = new Set([
  'wife', 'girlfriend', 'fiancee', 'fiancée', 'mom', 'mum', 'mother', 'mama', 'daughter', 'sister', 'grandma', 'grandmother',
  'granny', 'nana', 'aunt', 'auntie', 'niece', 'stepmom', 'stepmother', 'halmoni',
]);
const MALE = new Set([
  'husband', 'boyfriend', 'fiance', 'fiancé', 'dad', 'father', 'papa', 'son', 'brother', 'grandpa', 'grandfather', 'uncle',
  'nephew', 'stepdad', 'stepfather',
]);
const NEUTRAL = new Set([
  'partner', 'spouse', 'friend', 'best friend', 'roommate', 'flatmate', 'housemate', 'cousin', 'kid', 'child', 'baby', 'toddler',
  'boss', 'manager', 'coworker', 'colleague', 'neighbor', 'neighbour', 'therapist', 'doctor', 'teacher', 'mentor', 'landlord',
  'dog', 'puppy', 'cat', 'kitten', 'greyhound', 'beagle', 'labrador', 'lab', 'terrier', 'retriever', 'poodle', 'spaniel', 'collie',
  'horse', 'rabbit', 'bunny', 'hamster', 'parrot', 'bird', 'tortoise', 'turtle', 'pup', 'pet',
]);
export const RELATION_WORDS = [...FEMALE, ...MALE, ...NEUTRAL].sort((a, b) => b.length - a.length);

function genderOf(relation: string | null, name: string | null): Gender {
  if (relation && FEMALE.has(relation)) return 'f';
  if (relation && MALE.has(relation)) return 'm';
  return name ? genderOfName(name) : '?';
}

const genderOfName = memo((name: string): Gender => {
  const term = nlp(name).terms().eq(0);
  if (term.has('#FemaleName')) return 'f';
  if (term.has('#MaleName')) return 'm';
  return '?';
});

/** Case matters for the name ("my tortoise Tito", not "my tortoise ate"), so the rest is spelt both ways. */
const either = (w: string) => w.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
const RELATION_PATTERN = RELATION_WORDS.map((w) => either(w).replace(/ /g, '\\s+')).join('|');
/** Built once per possessive: they run for every turn. */
const POSSESSED = Object.fromEntries(
  (['my', 'your'] as const).map((possessive) => [
    possessive,
    {
      named: new RegExp(
        `\\b${either(possessive)}\\s+(?:(?:little|older|younger|big|baby|new|old)\\s+)?(${RELATION_PATTERN})\\b(?:,?\\s+([A-Z][a-z]+))?`,
        'g',
      ),
      appositive: new RegExp(`\\b([A-Z][a-z]+),\\s+${either(possessive)}\\s+(${RELATION_PATTERN})\\b`, 'g'),
    },
  ]),
) as Record<'my' | 'your', { named: RegExp; appositive: RegExp }>;

/** "my sister Jenny", "Jenny, my sister", "my dog": the user's own people, as a speaker names them. */
function possessed(text: string, possessive: 'my' | 'your'): { relation: string; name: string | null }[] {
  const found: { relation: string; name: string | null }[] = [];
  const { named, appositive } = POSSESSED[possessive];
  for (const m of text.matchAll(named)) {
    const name = m[2] && !/^(and|but|who|is|was|has)$/i.test(m[2]) ? m[2] : null;
    found.push({ relation: m[1]!.toLowerCase().replace(/\s+/g, ' '), name });
  }
  for (const m of text.matchAll(appositive)) found.push({ relation: m[2]!.toLowerCase(), name: m[1]! });
  return found;
}

const LEXICON = (compromise.model() as unknown as { one: { lexicon: Record<string, string | string[]> } }).one.lexicon;
const NOT_A_NAME = '(#Date|#Month|#WeekDay|#Place|#City|#Country|#Pronoun|#Adverb|#Adjective|#Verb|#Value|#Conjunction|#Preposition|#Determiner)';

/**
 * Could this capitalised word be someone's name? Known first names, and
 * words no dictionary knows ("Priya", "Biscuit" as a dog) that are not
 * dates, places or ordinary words written with a capital.
 */
export const isNameLike = memo((word: string): boolean => {
  if (!/^[A-Z][a-z]+$/.test(word)) return false;
  const term = nlp(word).terms().eq(0);
  if (term.has('#FirstName')) return true;
  const known = LEXICON[word.toLowerCase()];
  if (known !== undefined) return false;
  return !term.has(NOT_A_NAME);
});

/**
 * A name that is also an ordinary word ("June", "Will", "Grace", "Art"): in
 * a question it is a name only when capitalised mid-sentence.
 */
export const isOrdinaryWord = memo((word: string): boolean => {
  const lower = word.toLowerCase();
  const known = LEXICON[lower];
  if (known !== undefined && !/Name/.test(String(known))) return true;
  return compromise(lower).has('(#Month|#WeekDay|#Modal|#Verb|#Adjective|#Adverb|#Determiner|#Preposition|#Conjunction)');
});

/** Names in a turn: first names anywhere, other name-like words where a capital is not just a sentence start. */
function people(text: string): string[] {
  const found = new Set<string>();
  // In bounded pieces, so a huge message costs linear time here too (compromise is not linear).
  for (const piece of piecesOf(text, SENTENCE_CHARS)) {
    for (const n of nlp(piece).match('#FirstName').out('array') as string[]) {
      const name = n.replace(/[^A-Za-z'-]/g, '').replace(/'s$/, '');
      if (/^[A-Z][a-z]+$/.test(name)) found.add(name);
    }
  }
  for (const m of text.matchAll(/(?<=[a-z,;]\s+)([A-Z][a-z]+)\b/g)) if (isNameLike(m[1]!)) found.add(m[1]!);
  return [...found];
}

export class ReferentTracker {
  private readonly referents: Referent[] = [];
  /** Names used to address someone ("Maya, ...", "thanks Jonas"): speakers, not people talked about. */
  private readonly addressed = new Set<string>();
  /** Names the other party calls the user by: the first turn that did, and how many did. */
  private readonly userCalled = new Map<string, { turn: number; times: number }>();
  private readonly userCalls = new Set<string>();

  /** Reads a turn: who it names. The other speaker's "your sister" is the user's sister too. */
  observe(text: string, role: 'user' | 'assistant', turn: number): void {
    for (const name of vocatives(text)) {
      this.addressed.add(name);
      if (role === 'assistant') {
        const seen = this.userCalled.get(name);
        this.userCalled.set(name, { turn: seen?.turn ?? turn, times: (seen?.times ?? 0) + 1 });
      }
      if (role === 'user') this.userCalls.add(name);
    }
    const own = possessed(text, role === 'user' ? 'my' : 'your');
    for (const { relation, name } of own) {
      const mention = `User's ${relation}${name ? ` ${name}` : ''}`;
      this.add({ mention, name, relation, gender: genderOf(relation, name), turn });
    }
    const related = new Set(own.map((o) => o.name).filter(Boolean));
    for (const name of people(text)) {
      if (related.has(name) || this.addressed.has(name)) continue;
      const known = this.referents.find((r) => r.name === name);
      if (known) known.turn = turn;
      else this.add({ mention: name, name, relation: null, gender: genderOf(null, name), turn });
    }
  }

  private add(referent: Referent): void {
    // A name seen again with its relation ("my sister Jenny" after "Jenny") takes the fuller mention.
    const same = this.referents.find(
      (r) => (referent.name && r.name === referent.name) || (!referent.name && !r.name && r.relation === referent.relation),
    );
    if (same) {
      if (referent.relation && !same.relation) Object.assign(same, { mention: referent.mention, relation: referent.relation, gender: referent.gender });
      same.turn = referent.turn;
      return;
    }
    this.referents.push(referent);
  }

  /**
   * The one referent a pronoun can mean in `turn`, looking back `window`
   * turns: the only one of its gender, else the only one of unknown gender
   * (a pet, a friend named without a known name); null when none or several fit.
   */
  resolve(pronoun: string, turn: number, clause = '', window = 3): Referent | null {
    const p = pronoun.toLowerCase();
    const wanted: Gender | null = ['she', 'her', 'hers', 'herself'].includes(p) ? 'f' : ['he', 'him', 'his', 'himself'].includes(p) ? 'm' : null;
    if (!wanted) return null;
    // "Carol has been taking her out": a pronoun does not mean someone its own clause names.
    const named = (r: Referent) => r.name !== null && new RegExp(`\\b${r.name}\\b`).test(clause);
    const recent = this.referents.filter((r) => r.turn <= turn && r.turn >= turn - window && !named(r));
    const exact = recent.filter((r) => r.gender === wanted);
    if (exact.length > 0) return exact.length === 1 ? exact[0]! : null;
    const neutral = recent.filter((r) => r.gender === '?');
    return neutral.length === 1 ? neutral[0]! : null;
  }

  /** The referent a name stands for, with what the conversation said it is to the user. */
  byName(name: string): Referent | null {
    return this.referents.find((r) => r.name === name) ?? null;
  }

  /**
   * The user's name, when the other party addresses them by one ("Thanks,
   * Priya!") that the user never uses for anyone else; with the turn.
   */
  userName(): { name: string; turn: number } | null {
    // A known first name once, or a word no dictionary knows ("Priya") twice: "Congrats!" and "Yum!" are not names.
    const names = [...this.userCalled].filter(
      ([name, { times }]) =>
        (times >= 2 || nlp(name).has('#FirstName')) && !this.userCalls.has(name) && !this.referents.some((r) => r.name === name && r.relation),
    );
    return names.length === 1 ? { name: names[0]![0], turn: names[0]![1].turn } : null;
  }

  isAddressed(name: string): boolean {
    return this.addressed.has(name);
  }
}

/** Names a turn addresses: "Maya, ...", "..., Maya!", "thanks Jonas", "hey Priya". */
export function vocatives(text: string): string[] {
  const names = new Set<string>();
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    // A vocative sits at a sentence's start or end: only those ends are read, so a huge run-on costs nothing here.
    const whole = sentence.trim();
    const trimmed = whole.length > 200 ? `${whole.slice(0, 100)} ${whole.slice(-100)}` : whole;
    const lead = /^(?:(?:hey|hi|hello|oh|aw+|omg|thanks|thank you|congrats|haha|lol|welcome back|welcome)[\s,!]+)?([A-Z][a-z]+)[,!]/.exec(trimmed);
    if (lead && isNameLike(lead[1]!)) names.add(lead[1]!);
    // "..., Jonas!" addresses Jonas; "my first cat, Whiskers" names the cat.
    const trail = /(\S+),\s*([A-Z][a-z]+)[!.?]*$/.exec(trimmed);
    if (trail && isNameLike(trail[2]!) && !RELATION_WORDS.includes(trail[1]!.toLowerCase())) names.add(trail[2]!);
  }
  for (const m of text.matchAll(/\b(?:hey|hi|hello|thanks|thank you|congrats|bye|cheers|love you|miss you|welcome back),?\s+([A-Z][a-z]+)\b/gi)) {
    if (isNameLike(m[1]!)) names.add(m[1]!);
  }
  return [...names];
}
