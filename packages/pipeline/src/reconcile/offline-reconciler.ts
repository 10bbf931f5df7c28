import { agrees, contradicts, factAttributes, type FactAttribute } from './attributes';
import { contentStems, isSubset } from './fact-words';
import { memo } from '../offline/memo';
import type { FactToReconcile, ReconcileCandidate, ReconcileDecision, Reconciler, ReconcileResult } from '../types';

/**
 * Offline reconciliation: rules over the words and single-valued attributes
 * of a fact and its candidates, plus a vector-distance bound for paraphrases
 * the rules do not see. Conservative on purpose: when unsure, a fact is new
 * (a near-duplicate costs less than a wrongly merged or closed memory).
 */

/** Scaled cosine distance (0–1) under which two facts of the same kind say the same thing. */
export const DUPLICATE_DISTANCE = 0.04;
/** A refinement adds at most this many content words (or as many as the older fact has). */
const MAX_REFINEMENT_WORDS = 2;

interface Reading {
  attributes: FactAttribute[];
  /** Attributes other than stances: these identify what a fact is about. */
  keyed: FactAttribute[];
  stems: Set<string>;
  /** Numbers and names: two facts that differ in one are different facts however close they read. */
  specifics: string;
}

/**
 * A text's reading, remembered: a memory is read again as a candidate of
 * every fact near it, in this job and the next ones of its user. Readings
 * are never modified.
 */
const read = memo((text: string): Reading => {
  const attributes = factAttributes(text);
  const specifics = (text.match(/\p{N}+|(?<!^)\b\p{Lu}[\p{L}\p{N}]*/gu) ?? []).map((s) => s.toLowerCase()).sort().join(' ');
  return { attributes, keyed: attributes.filter((a) => !a.name.startsWith('stance:')), stems: contentStems(text), specifics };
});

/** Every keyed attribute of `b` is stated, with the same value, by `a`. */
function covers(a: Reading, b: Reading): boolean {
  return b.keyed.every((x) => a.keyed.some((y) => agrees(x, y)));
}

/** Two events are one if neither has a date or they share the day; lasting facts always match. */
function sameOccasion(a: string | null, b: string | null): boolean {
  return !a || !b || a.slice(0, 10) === b.slice(0, 10);
}

type Relation = 'duplicate' | 'refine' | 'supersede' | null;

function relation(fact: Reading & FactToReconcile, candidate: Reading & ReconcileCandidate): Relation {
  // Only a lasting fact can be contradicted: a past event stays true (two trips are two memories).
  if (candidate.type === 'semantic' && fact.attributes.some((a) => candidate.attributes.some((b) => contradicts(a, b)))) {
    return 'supersede';
  }
  if (candidate.type !== fact.type || !sameOccasion(candidate.eventTime, fact.eventTime)) return null;

  if (fact.keyed.length > 0 && candidate.keyed.length > 0) {
    const factCovers = covers(fact, candidate);
    const candidateCovers = covers(candidate, fact);
    if (factCovers && candidateCovers) {
      // Same attributes, same values: the same fact, unless the new one adds detail.
      return candidate.stems.size < fact.stems.size && isSubset(candidate.stems, fact.stems) ? 'refine' : 'duplicate';
    }
    if (factCovers) return 'refine';
    if (candidateCovers) return 'duplicate';
    return null;
  }

  // Says no more than the candidate: "User is vegetarian" after "User is a strict vegetarian".
  if (fact.stems.size > 0 && isSubset(fact.stems, candidate.stems)) return 'duplicate';
  if (candidate.stems.size > 0 && isSubset(candidate.stems, fact.stems)) {
    const added = fact.stems.size - candidate.stems.size;
    if (added <= Math.max(MAX_REFINEMENT_WORDS, candidate.stems.size)) return 'refine';
  }
  if (candidate.distance !== null && candidate.distance <= DUPLICATE_DISTANCE && candidate.specifics === fact.specifics) {
    return 'duplicate';
  }
  return null;
}

/** How a fact relates to its candidates: the best match to fold into, and the memories it contradicts. */
export function relate(fact: FactToReconcile): ReconcileDecision {
  const f = { ...fact, ...read(fact.text) };
  const supersedes: string[] = [];
  let duplicate: ReconcileCandidate | null = null;
  let refine: ReconcileCandidate | null = null;
  for (const candidate of fact.candidates) {
    const rel = relation(f, { ...candidate, ...read(candidate.memory) });
    if (rel === 'supersede') supersedes.push(candidate.ref);
    else if (rel === 'duplicate') duplicate ??= candidate;
    else if (rel === 'refine') refine ??= candidate;
  }
  const target = duplicate ?? refine;
  return target
    ? { action: duplicate ? 'duplicate' : 'refine', target: target.ref, supersedes }
    : { action: 'new', target: null, supersedes };
}

/** The attributes a fact states, as stored on its memory (names only: values are read from the text). */
/** The attribute names stored on a memory (and filtered on): readable words, never internal stems. */
export function attributeNames(text: string): string[] {
  return [...new Set(read(text).attributes.map((a) => a.label ?? a.name))];
}

export class OfflineReconciler implements Reconciler {
  readonly remote = false;

  async decide(facts: FactToReconcile[]): Promise<ReconcileResult> {
    return { decisions: facts.map(relate), llm: null };
  }
}
