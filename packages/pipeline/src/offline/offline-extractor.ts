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
import { boundedSentences, SENTENCE_CHARS } from './bounded-sentences';
import { answerAsStatement } from './short-answer';
import { toThirdPerson } from './third-person';

const DISCOURSE_PREFIX =
  /^(so|well|oh|yeah|yes|no|not yet|not really|maybe|probably|actually|also|and|but|btw|by the way|anyway|anyways|honestly|basically|ok|okay|um|uh|hey|hi|hello|lol|haha|thanks|thank you|great|cool|awesome|nice|sure|right|alright|wow|fun fact|funnily enough|oh and|plus|p\.?s\.?)\b[,!.:;]*\s+/i;
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
    const term = nlp(`I ${m[1]}`).terms().eq(1);
    const bareVerb = term.has('#Verb') && !term.has('(#Gerund|#PastTense|#Modal|#Copula|#Auxiliary)');
    if (!bareVerb || before.split(/\s+/).length < 3) break;
    parts.push(before);
    rest = `${subject} ${rest.slice(m.index + m[0].length - m[1]!.length)}`;
  }
  parts.push(rest);
  return parts;
}

function isStatementAboutUser(clause: string): boolean {
  if (clause.split(/\s+/).length < 2) return false;
  if (isQuestion(clause) || isRequest(clause) || isPhatic(clause) || isMeta(clause)) return false;
  if (!mentionsSelf(clause) || isBareMood(clause) || dependsOnContext(clause)) return false;
  return hasContent(clause);
}

function polish(fact: string): string {
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
    for (const turn of analysis.turns) {
      if (turn.role !== 'user') continue;
      for (const fact of await this.factsOfTurn(turn)) {
        const key = normaliseFact(fact.text);
        const seen = facts.get(key);
        if (seen) seen.messageIds = [...new Set([...seen.messageIds, ...fact.messageIds])];
        else facts.set(key, fact);
      }
    }
    return { facts: [...facts.values()], llm: null };
  }

  private async factsOfTurn(turn: Turn): Promise<ExtractedFact[]> {
    const facts: ExtractedFact[] = [];
    for await (const sentence of boundedSentences(turn.content)) {
      for (const clause of clausesOf(stripPrefixes(sentence))) {
        const cleaned = stripPrefixes(clause);
        if (!isStatementAboutUser(cleaned)) continue;
        facts.push({ text: polish(toThirdPerson(cleaned)), evidence: cleaned, messageIds: [turn.messageId] });
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
