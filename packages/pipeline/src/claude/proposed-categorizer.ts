import type { CategorizedFact, ClassifiedFact, FactCategorizer } from '../types';

/** Uses the categories the extractor proposed (those in the taxonomy); asks the fallback otherwise. */
export class ProposedCategorizer implements FactCategorizer {
  constructor(
    private readonly fallback: FactCategorizer,
    private readonly known: Set<string>,
  ) {}

  async categorize(facts: ClassifiedFact[]): Promise<CategorizedFact[]> {
    const usable = (f: ClassifiedFact) => (f.proposed?.categories ?? []).filter((c) => this.known.has(c));
    const unproposed = facts.filter((f) => usable(f).length === 0);
    const decided = new Map((await this.fallback.categorize(unproposed)).map((f, i) => [unproposed[i]!, f]));
    return facts.map((fact) => (usable(fact).length > 0 ? { ...fact, categories: usable(fact) } : decided.get(fact)!));
  }
}
