import type { ExtractedFact, Turn } from '../types';
import type { extractionSchema, ExtractionAnswer } from './extraction-schema';

export type Checked<T> = { ok: true; answer: T } | { ok: false; problems: string[] };

/** zod's issues as the model is shown them in a repair request. */
export function issueLines(issues: readonly { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`);
}

/** Validates an extraction answer with zod, then what zod cannot know: the message ids. */
export function checkExtraction(schema: ReturnType<typeof extractionSchema>, input: unknown, validIds: Set<string>): Checked<ExtractionAnswer> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: issueLines(parsed.error.issues) };
  const unknown = parsed.data.facts.flatMap((f, i) => f.message_ids.filter((id) => !validIds.has(id)).map((id) => `facts.${i}.message_ids: unknown id "${id}"`));
  return unknown.length ? { ok: false, problems: unknown } : { ok: true, answer: parsed.data };
}

/** The model's facts as the pipeline carries them, with the messages they came from as evidence. */
export function toFacts(answer: ExtractionAnswer, chunk: Turn[]): ExtractedFact[] {
  const byId = new Map(chunk.map((t) => [t.messageId, t]));
  return answer.facts.map((fact) => ({
    text: fact.memory,
    evidence: fact.message_ids.map((id) => byId.get(id)?.content ?? '').join('\n'),
    messageIds: fact.message_ids,
    proposed: { type: fact.type, eventTime: fact.event_time ? new Date(fact.event_time).toISOString() : null, categories: fact.categories },
  }));
}
