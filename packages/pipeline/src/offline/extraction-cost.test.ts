import { analyze } from '../stages/analyze';
import { conversationInput } from '../conversation-input';
import { OfflineExtractor } from './offline-extractor';

/**
 * Issue 13, high 2: one message of "I like " × N cost 2.3 s at 40k
 * characters and 24 s at 100k, all of it on the worker's event loop.
 *
 * The cost is measured by counting work, not by a clock, so the test cannot
 * flake on a loaded machine: every call into compromise is recorded with the
 * length of its input, and an event-loop probe records how much input was
 * handed to compromise between two of its turns. compromise's cost grows
 * faster than its input, so a bound on the largest single input turns "total
 * characters handed to compromise" into a linear bound on the time spent.
 */
const mockWork = { calls: 0, chars: 0, largest: 0 };

jest.mock('compromise', () => {
  const actual = jest.requireActual('compromise');
  const real = actual.default ?? actual;
  const count = (text: string) => {
    mockWork.calls += 1;
    mockWork.chars += text.length;
    mockWork.largest = Math.max(mockWork.largest, text.length);
  };
  const counted = Object.assign((text: string, ...rest: unknown[]) => {
    count(text);
    return real(text, ...rest);
  }, real, {
    tokenize: (text: string, ...rest: unknown[]) => {
      count(text);
      return real.tokenize(text, ...rest);
    },
    // Reads compromise's own lexicon (no parsing): bound to the real function, which keeps it.
    model: () => real.model(),
  });
  return { __esModule: true, default: counted };
});

// Generous: the assertions count work; the timeout only stops a regression from hanging the suite.
jest.setTimeout(60_000);

const ADVERSARIAL: Record<string, string> = {
  'one sentence of "I like "': 'I like ',
  'clause breaks with no verbs': 'and I ',
  'a shared subject with endless verbs': 'I wake and eat ',
  'clauses leaning on the one before': 'I do it, and it was that, ',
  'many short sentences': 'I like tea. ',
};

const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Adversarial text that never repeats a clause, so no cache can hide the cost of reading it. */
const WORDS = ['tea', 'coffee', 'jazz', 'rain', 'cats', 'Lisbon', 'maps', 'chess', 'bread', 'hiking', 'code', 'wine'];
const VARIED: Record<string, (i: number) => string> = {
  'varied clause breaks': (i) => `and I ${WORDS[i % WORDS.length]}${i} `,
  'varied short sentences': (i) => `I like ${WORDS[i % WORDS.length]} ${i}. `,
  'varied clauses leaning on the one before': (i) => `I do it ${i}, and it was that, `,
};
const varyTo = (unit: (i: number) => string, length: number) => {
  let text = '';
  for (let i = 0; text.length < length; i++) text += unit(i);
  return text.slice(0, length);
};

type Messages = Parameters<typeof conversationInput>[0];

async function extractMeasured(text: string, before: Messages = []) {
  mockWork.calls = 0;
  mockWork.chars = 0;
  mockWork.largest = 0;
  // Turns of the event loop during the extraction, and the input handed to compromise between two of them.
  let turns = 0;
  let heldChars = 0;
  let charsAtLastTurn = 0;
  let probing = true;
  const probe = () => {
    if (!probing) return;
    turns += 1;
    heldChars = Math.max(heldChars, mockWork.chars - charsAtLastTurn);
    charsAtLastTurn = mockWork.chars;
    setImmediate(probe);
  };
  setImmediate(probe);
  const extraction = await new OfflineExtractor().extract(analyze(conversationInput([...before, ['user', text]]), 4_000));
  probing = false;
  heldChars = Math.max(heldChars, mockWork.chars - charsAtLastTurn);
  return { ...mockWork, turns, heldChars, facts: extraction.facts };
}

describe('offline extraction cost (issue 13, high 2)', () => {
  it.each(Object.entries(ADVERSARIAL))('10x the text costs at most 15x the work: %s', async (_name, unit) => {
    const small = await extractMeasured(repeatTo(unit, 10_000));
    const large = await extractMeasured(repeatTo(unit, 100_000));
    expect(large.chars).toBeLessThanOrEqual(15 * Math.max(small.chars, 1));
    expect(large.calls).toBeLessThanOrEqual(15 * Math.max(small.calls, 1));
    // No single input large enough for compromise's super-linear cost to show.
    expect(large.largest).toBeLessThanOrEqual(2_000);
  });

  it.each(Object.entries(VARIED))('10x the text costs at most 15x the work: %s', async (_name, unit) => {
    const small = await extractMeasured(varyTo(unit, 10_000));
    const large = await extractMeasured(varyTo(unit, 100_000));
    expect(large.chars).toBeLessThanOrEqual(15 * small.chars);
    expect(large.calls).toBeLessThanOrEqual(15 * small.calls);
    expect(large.largest).toBeLessThanOrEqual(2_000);
  });

  // A bound on work, not on a clock (a CPU-time bound failed on a loaded machine): each character is read about once.
  it.each(Object.entries(ADVERSARIAL))('100k characters are handed to compromise about once each: %s', async (_name, unit) => {
    const { chars, largest } = await extractMeasured(repeatTo(unit, 100_000));
    expect(chars).toBeLessThanOrEqual(2 * 100_000);
    expect(largest).toBeLessThanOrEqual(2_000);
  });

  it('gives the event loop back between bounded slices, so a huge job cannot starve lock renewals', async () => {
    const { turns, heldChars } = await extractMeasured(repeatTo('I like tea and I live in Lisbon. ', 100_000));
    expect(turns).toBeGreaterThan(10);
    expect(heldChars).toBeLessThanOrEqual(10_000);
  });

  it('reads a huge answer to a question in linear time', async () => {
    const question: Messages = [['assistant', `${repeatTo('What is your favorite a ', 100_000)}?`]];
    const { chars, largest } = await extractMeasured(`${'!'.repeat(100_000)}a`, question);
    expect(largest).toBeLessThanOrEqual(2_000);
    expect(chars).toBeLessThanOrEqual(2 * 200_000);
  });

  it('still finds the facts in a long message', async () => {
    const text = `${repeatTo('I like ', 30_000)}. I live in Lisbon. ${repeatTo('la ', 50_000)}. I work at a bakery.`;
    const { facts } = await extractMeasured(text);
    expect(facts.map((f) => f.text)).toEqual(expect.arrayContaining(['User lives in Lisbon', 'User works at a bakery']));
  });
});
