import * as chrono from 'chrono-node';

/**
 * "User is flying to Lisbon next Friday" is wrong the day after it is
 * stored. An episodic memory says when, in absolute terms, as precisely as
 * the words allow: "on 21 June 2024", "in September 2025", "in 2023", "in
 * the week of 3 June 2024". Dates that already name their year stay as written.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const dayMonthYear = (d: Date) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;

/** Monday of the week holding `d` (UTC). */
function weekStart(d: Date): Date {
  const start = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  return start;
}

export type Direction = 'forward' | 'backward';

/**
 * The date an expression means: chrono's reading, moved back a week (a
 * weekday) or a year (a month) when a past statement got a future date
 * ("got laid off on Thursday", said on a Wednesday, is last Thursday).
 */
export function dateOf(result: chrono.ParsedResult, reference: Date, direction: Direction): Date {
  const date = result.start.date();
  if (direction !== 'backward' || date <= reference) return date;
  const back = new Date(date);
  if (result.start.isCertain('weekday') && !result.start.isCertain('day')) back.setUTCDate(back.getUTCDate() - 7);
  else if (result.start.isCertain('month') && !result.start.isCertain('year')) back.setUTCFullYear(back.getUTCFullYear() - 1);
  return back;
}

/** The absolute phrase for one parsed expression, or null to leave it as written. */
function phrase(result: chrono.ParsedResult, date: Date): string | null {
  const { text, start } = result;
  // A year already named, or a duration ("for two weeks"), stays as written.
  if (/\b\d{4}\b/.test(text) || /^(for|within|over)\b/i.test(text) || result.end) return null;
  if (/\bweek\b/i.test(text)) return `in the week of ${dayMonthYear(weekStart(date))}`;
  const dayKnown = start.isCertain('day') || start.isCertain('weekday');
  if (dayKnown) return `on ${dayMonthYear(date)}`;
  if (start.isCertain('month')) return `in ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  if (start.isCertain('year')) return `in ${date.getUTCFullYear()}`;
  return null;
}

/**
 * Rewrites the relative dates of `text` against `reference`. `forward`
 * reads a bare month or weekday as the next one ("starts school in
 * September" said in December), as future tense asks; `backward`, as the
 * last one, as past tense asks.
 */
const RELATIVE = /^(last|next|this|on|in|at|since|until|till|by|before|after)\b|\b(yesterday|tomorrow|tonight|today|ago)\b/i;
const PREPOSITION_BEFORE = /\b(on|in|at|this|next|last|since|until|till|by|before|after|from)\s+$/i;
/** Kept in front of the absolute phrase, which then drops its own "on"/"in": "until 21 June 2024". */
const KEPT_PREPOSITION = /\b(since|until|till|by|before|after|from)\s+$/i;
const CLOCK = /\bat\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b/i;

/**
 * Is this chrono match a time expression of the sentence? Not a month or
 * weekday used as a name or in one ("hiking with June", "Friday Night
 * Lights", "a Sunday roast"), and not a duration or a clock time alone
 * ("in 50 minutes").
 */
function isTimeExpression(text: string, result: chrono.ParsedResult): boolean {
  const matched = result.text.trim();
  if (/\b(minutes?|mins?|hours?|hrs?|seconds?|secs?)\b/i.test(matched)) return false;
  if (/^(right )?now$|^currently$/i.test(matched)) return false;
  const before = text.slice(0, result.index);
  const after = text.slice(result.index + result.text.length);
  if (/^\s+[A-Z]/.test(after)) return false;
  if (RELATIVE.test(matched) || PREPOSITION_BEFORE.test(before)) return true;
  // A bare "3 July" or "Sunday" with no preposition before it: a date only when nothing else can be meant.
  return !/\b(a|an|the|with|named|called|my|their|User's)\s+$/i.test(before) && !/^\s+[a-z]/.test(after);
}

export function withAbsoluteDates(text: string, reference: Date, direction: Direction): string {
  const results = chrono.parse(text, reference, { forwardDate: direction === 'forward' });
  let out = text;
  // From the end, so earlier indexes stay valid.
  for (const result of [...results].sort((a, b) => b.index - a.index)) {
    if (!isTimeExpression(out, result)) continue;
    let replacement = phrase(result, dateOf(result, reference, direction));
    if (!replacement) continue;
    const clock = CLOCK.exec(result.text)?.[0];
    if (clock) replacement += clock.toLowerCase().startsWith('at') ? ` ${clock}` : ` at ${clock}`;
    let before = out.slice(0, result.index);
    if (KEPT_PREPOSITION.test(before)) replacement = replacement.replace(/^(on|in) /, '');
    // "on Friday" / "in September": the phrase brings its own preposition.
    else before = before.replace(/\b(on|in|at|this|by)\s+$/i, '');
    out = `${before}${replacement}${out.slice(result.index + result.text.length)}`;
  }
  return out.replace(/\s+/g, ' ').trim();
}
