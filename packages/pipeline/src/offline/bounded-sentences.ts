import nlp from 'compromise';

/**
 * Keeps offline extraction linear in the length of a message (issue 13).
 * compromise's cost grows faster than its input, and the clause rules run
 * over whole sentences, so one 100k-character message without a full stop
 * took 24 s of one event loop. Every piece of text handed on from here is
 * bounded: a message is cut into segments before compromise splits them
 * into sentences, and a sentence longer than any real one is cut again.
 * Cuts fall at the last sentence end, line break, comma or space in the
 * second half of the window, so each cut moves at least half a window and
 * the cutting itself stays linear.
 */

/** Text compromise splits into sentences at once. */
export const SEGMENT_CHARS = 2_000;
/** Longer than any sentence worth a fact; a longer run-on is read in pieces. */
export const SENTENCE_CHARS = 500;

const BOUNDARIES = [/[.!?]["')\]]*\s/g, /\n/g, /[,;:]\s/g, /\s/g];

/** The end of the piece of `text` starting at `start` (at most `limit` characters), at the strongest boundary available. */
function cutPoint(text: string, start: number, limit: number): number {
  const window = text.slice(start, start + limit + 1);
  for (const boundary of BOUNDARIES) {
    let last = -1;
    for (const m of window.matchAll(boundary)) last = m.index + m[0].length;
    if (last >= limit / 2) return start + Math.min(last, limit);
  }
  return start + limit;
}

/** `text` as consecutive pieces of at most `limit` characters, cut at the strongest boundaries. */
export function piecesOf(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > limit) {
    const end = cutPoint(text, start, limit);
    pieces.push(text.slice(start, end));
    start = end;
  }
  pieces.push(text.slice(start));
  return pieces.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Gives the event loop a turn, so timers (BullMQ lock renewals) and I/O run during a long extraction. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The sentences of a message, none longer than SENTENCE_CHARS, one segment
 * at a time, yielding to the event loop before each segment (so also
 * between the turns of a conversation of many messages).
 */
export async function* boundedSentences(text: string): AsyncGenerator<string> {
  for (const segment of piecesOf(text, SEGMENT_CHARS)) {
    await yieldToEventLoop();
    // Tokenizing without tagging splits sentences the same way at a third of the cost.
    for (const sentence of nlp.tokenize(segment).sentences().out('array') as string[]) {
      yield* piecesOf(sentence, SENTENCE_CHARS);
    }
  }
}
