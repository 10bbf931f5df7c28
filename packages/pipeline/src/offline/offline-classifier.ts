import * as chrono from 'chrono-node';
import type { ClassifiedFact, ExtractedFact, FactClassifier } from '../types';
import { dateOf, withAbsoluteDates } from './absolute-dates';
import { expandContractions } from './third-person';

/**
 * semantic vs episodic by tense, aspect and time expressions; the event time
 * of episodic facts comes from chrono resolving "next Tuesday" against the
 * conversation's reference time.
 */
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const HABITUAL = new RegExp(
  `\\bon ${WEEKDAY}s\\b|\\b${WEEKDAY}s? (?:mornings|afternoons|evenings|nights)\\b|` +
  /\b(every|each|usually|always|often|typically|normally|generally|weekly|daily|nightly|monthly|on weekends|per (week|day|month)|(?<!for )a (week|day|month|year)|since|for (the (past|last) )?\d+ (years?|months?)|for (years|months)|used to)\b/.source,
  'i',
);
const BIOGRAPHICAL = /\b(born|grew up|raised|studied|graduated|majored|have been|has been|have lived|have worked|have had)\b/i;
/** Dates that come back every year: a lasting fact, and its date has no year. */
const RECURRING = /\b(birthday|anniversary|name day|saint's day)\b/i;
const FUTURE =
  /\b(will|going to|gonna|plan(ning)? to|planned|about to|intend(ing)? to|hoping to|hope to|next|tomorrow|upcoming|soon|this (weekend|summer|winter|spring|fall|autumn)|(am|are) (thinking|considering)|wants? to (visit|go|travel|see|move))\b/i;
const RECENT = /\b(just|recently|today|this morning|tonight|yesterday|last (week|month|night|year|weekend|summer|winter|spring|fall|autumn))\b/i;
// "have got" is possession and "am married" a state, not events.
const PAST_EVENT =
  /\b((?<!\bha(?:ve|s) )got|started|began|finished|completed|moved|bought|sold|visited|went|traveled|travelled|flew|lost|won|(?<!\b(?:am|is|are|was|were) )married|adopted|quit|joined|signed|ran|broke|hurt|injured|sprained|diagnosed|passed|failed|left|returned|came back|launched|published|met|celebrated|received|booked|applied|hired|fired|promoted|switched|changed|retired|had (a|an|my|our|surgery|twins)|gave birth|proposed|(?<!\b(?:am|is|are|was|were) )divorced|enrolled|accepted|closed|opened|sold)\b/i;

export class OfflineClassifier implements FactClassifier {
  async classify(facts: ExtractedFact[], referenceTime: string): Promise<ClassifiedFact[]> {
    const reference = new Date(referenceTime);
    return facts.map((fact) => {
      const evidence = expandContractions(fact.evidence);
      const classified = classifyOne(evidence, reference);
      // An event says when in absolute terms, so the memory stays true after today.
      const direction = readsForward(evidence) ? 'forward' : 'backward';
      const text = classified.type === 'episodic' ? withAbsoluteDates(fact.text, reference, direction) : fact.text;
      return { ...fact, text, ...classified };
    });
  }
}

/** Future, or present tense about a date ("starts school in September"): a bare month or weekday is the next one. */
function readsForward(evidence: string): boolean {
  if (FUTURE.test(evidence)) return true;
  return !PAST_EVENT.test(evidence) && !RECENT.test(evidence) && !/\b(ago|was|were|did|had|last)\b/i.test(evidence);
}

function classifyOne(evidence: string, reference: Date): Pick<ClassifiedFact, 'type' | 'eventTime'> {
  if (HABITUAL.test(evidence) || BIOGRAPHICAL.test(evidence) || RECURRING.test(evidence)) return { type: 'semantic', eventTime: null };
  const future = FUTURE.test(evidence);
  // "now" and "currently" describe a state, not the time of an event.
  const direction = readsForward(evidence) ? 'forward' : 'backward';
  const dated = chrono
    .parse(evidence, reference, { forwardDate: direction === 'forward' })
    .find((r) => !/^(right )?now$|^currently$/i.test(r.text.trim()));
  if (dated) return { type: 'episodic', eventTime: dateOf(dated, reference, direction).toISOString() };
  if (future) return { type: 'episodic', eventTime: null };
  if (RECENT.test(evidence)) return { type: 'episodic', eventTime: reference.toISOString() };
  if (PAST_EVENT.test(evidence)) return { type: 'episodic', eventTime: null };
  return { type: 'semantic', eventTime: null };
}
