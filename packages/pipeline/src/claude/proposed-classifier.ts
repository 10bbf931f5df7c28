import type { ClassifiedFact, ExtractedFact, FactClassifier } from '../types';

/** Uses the type and event time the extractor proposed; asks the fallback for facts without one. */
export class ProposedClassifier implements FactClassifier {
  constructor(private readonly fallback: FactClassifier) {}

  async classify(facts: ExtractedFact[], referenceTime: string): Promise<ClassifiedFact[]> {
    const unproposed = facts.filter((f) => !f.proposed);
    const decided = new Map((await this.fallback.classify(unproposed, referenceTime)).map((f, i) => [unproposed[i]!, f]));
    return facts.map((fact) =>
      fact.proposed ? { ...fact, type: fact.proposed.type, eventTime: fact.proposed.eventTime } : decided.get(fact)!,
    );
  }
}
