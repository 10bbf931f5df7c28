import { memo } from './memo';
import { nlp } from './parse';
import { normaliseFact } from '@mnemo/core';
import type { Analysis, ExtractedFact, Extraction, FactExtractor, Turn } from '../types';
import {
  dependsOnContext,
  hasContent,
  isBareMood,
  isMeta,
  isPhatic,
  isQuestion,
  isRequest,
  mentionsSelf,
} from './clause-filter';
import { isWellFormedMemory } from './memory-shape';
import { isNameLike, ReferentTracker, vocatives } from './referents';
import { boundedSentences, SENTENCE_CHARS } from './bounded-sentences';
import { answerAsStatement } from './short-answer';
import { expandContractions, toThirdPerson } from './third-person';

const DISCOURSE_PREFIX =
  /^(so|well|oh|yeah|yep|yup|yes|no|nah|nope|ugh|hmm|omg|ooh|aw+|haha+|hehe|not yet|not really|maybe|probably|actually|also|and|but|btw|by the way|anyway|anyways|honestly|basically|ok|okay|um|uh|hey|hi|hello|lol|haha|thanks|thank you|great|cool|awesome|nice|sure|right|alright|wow|fun fact|funnily enough|oh and|plus|p\.?s\.?)\b[,!.:;]*\s+/i;
const HEDGE = /^i (think|guess|believe|suppose|feel like|would say)( that)?\s+(?=(i|i'm|i've|i'll|i'd|my|we)\b)/i;
const CLAUSE_BREAK =
  /\s*;\s*|,?\s+(?:and|but|so|while|though|although|plus)\s+(?=(?:i|i'm|i've|i'll|i'd|my|we|we're|our)\b)|,\s+(?=(?:i|i'm|i've|i'll|i'd|my)\b)/i;

function stripPrefixes(sentence: string): string {
  let text = sentence.trim();
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(DISCOURSE_PREFIX, '').replace(HEDGE, '').trim();
  }
  return text;
}

/** Splits "I'm 34 and I live in Denver" into its two statements, unless the second leans on the first. */
function clausesOf(sentence: string): string[] {
  const parts = sentence.split(CLAUSE_BREAK).map((p) => p?.trim()).filter((p): p is string => !!p);
  const clauses: string[] = [];
  let pending = '';
  for (const part of parts) {
    // "My wife and I are flying": a part with no verb belongs to the next one;
    // a verbless aside ("Not yet, I...") is dropped.
    if (!nlp(part).has('#Verb')) {
      if (nlp(part).has('(#Noun && !#Pronoun)')) pending = `${pending}${part} and `;
      continue;
    }
    const clause = `${pending}${part}`;
    pending = '';
    if (clauses.length > 0 && dependsOnContext(clause)) clauses[clauses.length - 1] += ` and ${clause}`;
    else clauses.push(clause);
  }
  if (pending) clauses.push(pending.replace(/ and $/, ''));
  return clauses.flatMap(splitSharedSubject);
}

/** "I wake up early and journal before work" states two things about one subject. */
function splitSharedSubject(clause: string): string[] {
  const subject = /^(i|we)\b/i.exec(clause)?.[1];
  if (!subject) return [clause];
  const parts: string[] = [];
  let rest = clause;
  for (;;) {
    const m = /\s+and\s+([a-z]+)\b/i.exec(rest);
    if (!m) break;
    const before = rest.slice(0, m.index);
    if (!isBareVerb(m[1]!) || before.split(/\s+/).length < 3) break;
    parts.push(before);
    rest = `${subject} ${rest.slice(m.index + m[0].length - m[1]!.length)}`;
  }
  parts.push(rest);
  return parts;
}

/** In the frame "I <word>", as the second of two statements about one subject. */
const isBareVerb = memo((word: string): boolean => {
  const term = nlp(`I ${word}`).terms().eq(1);
  return term.has('#Verb') && !term.has('(#Gerund|#PastTense|#Modal|#Copula|#Auxiliary)');
});

/** "Maya, that's..." / "..., Jonas!": the name of whoever is spoken to is not part of the fact. */
function stripVocatives(sentence: string): string {
  let text = sentence;
  for (const name of vocatives(sentence)) {
    text = text
      .replace(new RegExp(`^(?:(?:hey|hi|hello|oh|aw+|omg|thanks|thank you|congrats|haha|lol)[\\s,!]+)?${name}[,!]\\s*`, 'i'), '')
      .replace(new RegExp(`,\\s*${name}([!.?]*)$`), '$1');
  }
  return text.trim();
}

/** "her English": the word after "her" is a noun or adjective, so "her" is a possessive. */
const isNounModifierTarget = memo((word: string): boolean => nlp(word).has('(#Noun|#Adjective)') && !nlp(word).has('#Preposition'));

const SUBJECT_PRONOUN = /^(she|he)(?:'s| is| was| has| had|'d| will|'ll)?\b/i;

/**
 * Replaces a he/she/him/her that can only mean one person named earlier
 * ("I've had her for two years" after "my dog Susie") with that person.
 * Returns null when a third-person pronoun stays unresolved.
 */
function resolvePronouns(clause: string, tracker: ReferentTracker, turn: number): string | null {
  let unresolved = false;
  // "she's been" is "she has been"; otherwise "she's" is "she is".
  const text = clause
    .replace(/\b(she|he)'s (been|got|had)\b/gi, '$1 has $2')
    .replace(/\b(she|he)'s\b/gi, '$1 is')
    .replace(/\b(she|he|her|him|his)\b/gi, (word, _p, offset: number, whole: string) => {
      const referent = tracker.resolve(word, turn, clause);
      if (!referent) {
        unresolved = true;
        return word;
      }
      const lower = word.toLowerCase();
      const next = whole.slice(offset + word.length).trim().split(/\s+/)[0] ?? '';
      // "her English", "his tools": a possessive before a noun; "taking her out": an object.
      const possessive = lower === 'his' || (lower === 'her' && /^[a-z]/.test(next) && isNounModifierTarget(next));
      return possessive ? `${referent.mention}'s` : referent.mention;
    });
  return unresolved ? null : text;
}

/** "Jess proposed", "Carol next door has been taking her out": a statement about someone the user knows. */
function isAboutSomeoneKnown(clause: string, tracker: ReferentTracker): boolean {
  if (isQuestion(clause) || isRequest(clause) || clause.split(/\s+/).length < 3) return false;
  if (/^User's\b/.test(clause)) return hasContent(clause);
  const first = /^([A-Z][a-z]+)\b/.exec(clause)?.[1];
  if (!first || tracker.isAddressed(first)) return false;
  const known = tracker.byName(first) !== null || isNameLike(first);
  return known && nlp(clause).has('#Verb') && hasContent(clause);
}

/** A known name gains what it is to the user: "Jess proposed" -> "User's partner Jess proposed". */
function withRelation(clause: string, tracker: ReferentTracker): string {
  const first = /^([A-Z][a-z]+)\b/.exec(clause)?.[1];
  const referent = first ? tracker.byName(first) : null;
  return referent?.relation ? `${referent.mention}${clause.slice(first!.length)}` : clause;
}

/** How a clause's first word reads with its subject back: "I flying", "I moved". */
const subjectlessTags = memo((word: string) => {
  const term = nlp(`I ${word}`).terms().eq(1);
  return { gerund: term.has('#Gerund'), pastTense: term.has('#PastTense'), adjective: term.has('#Adjective') };
});

const SUBJECTLESS_SKIP = /^(please|thanks|thank|let|try|check|look|see|tell|show|give|help|make|imagine|guess|wish|hope|love|like|sounds|seems|looks|feels|means|depends|turns out|happens)\b/i;

/**
 * People drop the subject when it is themselves: "got married last week",
 * "just finished three night shifts", "still designing app screens". A
 * clause that opens with a past-tense verb or a gerund (adverbs aside) gets
 * its "I" back.
 */
function restoreSubject(clause: string): string | null {
  if (SUBJECTLESS_SKIP.test(clause) || isQuestion(clause) || clause.split(/\s+/).length < 3) return null;
  const words = clause.split(/\s+/);
  let i = 0;
  while (i < words.length - 1 && /^(just|still|finally|already|recently|also|only|never|always|actually|totally|basically|officially)$/i.test(words[i]!)) i++;
  const word = words[i]!.toLowerCase().replace(/[^a-z']/g, '');
  if (!word || /^(it|that|this|there|which|who|he|she|they|you|we|i)$/.test(word)) return null;
  const tags = subjectlessTags(word);
  // "Flying to Lisbon" -> "I am flying to Lisbon": the capital was the sentence's, not a name's.
  const rest = clause.charAt(0).toLowerCase() + clause.slice(1);
  if (tags.gerund) return `I am ${rest}`;
  if (tags.pastTense && !tags.adjective && !/^(went|was|were|had|did|got it)$/.test(word)) return `I ${rest}`;
  if (/^(got|gotta)$/.test(word) && words.length > i + 2) return `I ${rest}`;
  return null;
}

function isStatementAboutUser(clause: string): boolean {
  if (clause.split(/\s+/).length < 2) return false;
  if (isQuestion(clause) || isRequest(clause) || isPhatic(clause) || isMeta(clause)) return false;
  if (!mentionsSelf(clause) || isBareMood(clause) || dependsOnContext(clause)) return false;
  return hasContent(clause);
}

function polish(fact: string): string {
  // "I'm Priya": a name, said the short way.
  const named = /^User is ([A-Z][a-z]+(?: [A-Z][a-z]+)?)$/.exec(fact.trim());
  if (named && named[1]!.split(' ').every(isNameLike)) return `User's name is ${named[1]}`;
  // "Call me Dana".
  const called = /^Call (?:them|User) ([A-Z][a-z]+)$/.exec(fact.trim());
  if (called) return `User prefers to be called ${called[1]}`;
  return fact
    .replace(/(,?\s+(actually|either|too|lol|haha|though|honestly|tbh|anyway))+$/i, '')
    .replace(/^User is (\d{1,3})$/, 'User is $1 years old')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Rule-based extraction with no network: first-person statements by the
 * user become third-person facts; short answers borrow the assistant's question.
 */
export class OfflineExtractor implements FactExtractor {
  async extract(analysis: Analysis): Promise<Extraction> {
    const facts = new Map<string, ExtractedFact>();
    const tracker = new ReferentTracker();
    for (const turn of analysis.turns) {
      tracker.observe(turn.content, turn.role, turn.index);
      if (turn.role !== 'user') continue;
      for (const fact of await this.factsOfTurn(turn, tracker)) {
        const key = normaliseFact(fact.text);
        const seen = facts.get(key);
        if (seen) seen.messageIds = [...new Set([...seen.messageIds, ...fact.messageIds])];
        else facts.set(key, fact);
      }
    }
    // Called by name by the other party: the user's name, kept like one they said ("I'm Priya").
    const called = tracker.userName();
    const named = [...facts.values()].some((f) => /^User's name is\b/.test(f.text));
    const turn = called && analysis.turns.find((t) => t.index === called.turn);
    if (called && turn && !named) {
      facts.set(normaliseFact(`User's name is ${called.name}`), {
        text: `User's name is ${called.name}`,
        evidence: `User's name is ${called.name}`,
        messageIds: [turn.messageId],
      });
    }
    return { facts: [...facts.values()], llm: null };
  }

  private async factsOfTurn(turn: Turn, tracker: ReferentTracker): Promise<ExtractedFact[]> {
    const facts: ExtractedFact[] = [];
    const add = (text: string, evidence: string) => {
      const fact = polish(toThirdPerson(text));
      if (isWellFormedMemory(fact, evidence)) facts.push({ text: fact, evidence, messageIds: [turn.messageId] });
    };
    /** One clause: about the user, about someone they know, or the user with the subject left out. */
    const read = (clause: string): boolean => {
      const cleaned = stripPrefixes(clause);
      const resolved = SUBJECT_PRONOUN.test(cleaned) || /\b(her|him|his)\b/i.test(cleaned) ? resolvePronouns(cleaned, tracker, turn.index) : cleaned;
      if (resolved === null) return false;
      const before = facts.length;
      const restored = restoreSubject(resolved);
      if (restored && isStatementAboutUser(restored)) add(restored, cleaned);
      else if (isStatementAboutUser(resolved)) add(resolved, cleaned);
      else if (isAboutSomeoneKnown(expandContractions(resolved), tracker)) add(withRelation(expandContractions(resolved), tracker), cleaned);
      return facts.length > before;
    };
    for await (const sentence of boundedSentences(turn.content)) {
      for (const clause of clausesOf(stripPrefixes(stripVocatives(sentence)))) {
        if (read(clause)) continue;
        // "so... bad news, got laid off on Thursday": the statement sits behind an aside.
        const pieces = clause.split(/\s*(?:,|\.\.\.+|…|—|–|\s-\s)\s*/);
        if (pieces.length > 1) for (const piece of pieces) if (piece.split(/\s+/).length >= 3) read(piece);
      }
    }
    // A short answer is short: its templates are not for (and not linear on) pages of text.
    const short = turn.content.length <= SENTENCE_CHARS && (turn.precedingQuestion?.length ?? 0) <= SENTENCE_CHARS;
    if (facts.length === 0 && turn.precedingQuestion && short) {
      const statement = answerAsStatement(turn.precedingQuestion, turn.content);
      if (statement && hasContent(statement) && !dependsOnContext(statement)) {
        facts.push({ text: polish(toThirdPerson(statement)), evidence: statement, messageIds: [turn.messageId] });
      }
    }
    return facts;
  }
}
