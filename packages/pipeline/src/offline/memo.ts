/**
 * A pure function of one string, remembered for the most recent `size`
 * distinct inputs. The offline rules ask compromise the same small questions
 * again and again ("is 'moved' a past-tense verb in 'I moved'?", "is 'Jenny'
 * a first name?", "what is the singular of 'movies'?") for every clause,
 * fact and reconciliation candidate; each answer costs a parse of about
 * 100 µs, and is the same every time. Bounded, so a long-running worker's
 * memory does not grow with every word it has seen; the oldest entry goes
 * first.
 */
export function memo<R>(fn: (input: string) => R, size = 20_000): (input: string) => R {
  const remembered = new Map<string, R>();
  return (input: string): R => {
    if (remembered.has(input)) return remembered.get(input)!;
    const result = fn(input);
    remembered.set(input, result);
    if (remembered.size > size) remembered.delete(remembered.keys().next().value as string);
    return result;
  };
}
