import { z } from 'zod';
import type { FactToReconcile, ReconcileDecision } from '../types';
import { issueLines, type Checked } from './extraction-answer';

export const RECONCILE_TOOL = 'reconcile_memories';

export function reconcileSystem(answerWith = `Call the ${RECONCILE_TOOL} tool with one decision per new fact.`): string {
  return `You keep an assistant's memory of a user consistent. You get the user's existing memories (M1, M2, ...) and new facts just learned (F1, F2, ...), each with the existing memories it may relate to.
For every new fact decide:
- "duplicate": it says the same as one existing memory (target), in the same or other words, adding nothing.
- "refine": it says the same as one existing memory (target) with more detail; the memory will take the new wording.
- "new": neither.
Independently, list in "supersedes" the existing lasting (semantic) memories the new fact makes no longer true: a new home city, employer, job title, relationship status or name, or a changed preference. Never supersede an episodic memory: a past event stays true, and two trips are two memories.
Events fold only into the same event. When unsure, choose "new" and supersede nothing.
${answerWith}`;
}

/** The decision format; labels are enums, so the model can only name memories it was shown. */
function decisionSchema(facts: [string, ...string[]], memories: [string, ...string[]]) {
  return z.object({
    decisions: z
      .array(
        z.object({
          fact: z.enum(facts),
          action: z.enum(['new', 'duplicate', 'refine']),
          target: z.enum(memories).nullable().describe('For duplicate and refine: the existing memory; else null.'),
          supersedes: z.array(z.enum(memories)).describe('Existing lasting memories this fact makes untrue.'),
        }),
      )
      .describe('One decision per new fact.'),
  });
}

type Decision = z.infer<ReturnType<typeof decisionSchema>>['decisions'][number];

/**
 * One reconciliation question for a model, whichever the provider: the
 * facts that have candidates, with memories under short labels (M1, F1) so
 * an id the model invents cannot reach the store, and the answer mapped back.
 */
export class ReconcileQuestion {
  readonly asked: { fact: FactToReconcile; index: number }[];
  readonly schema: ReturnType<typeof decisionSchema>;
  readonly prompt: string;
  private readonly factLabels: [string, ...string[]];
  private readonly refOf: Map<string, string>;

  /** Undefined when no fact has a candidate: nothing to ask. */
  static of(facts: FactToReconcile[]): ReconcileQuestion | undefined {
    const asked = facts.map((fact, index) => ({ fact, index })).filter(({ fact }) => fact.candidates.length > 0);
    return asked.length ? new ReconcileQuestion(asked) : undefined;
  }

  private constructor(asked: { fact: FactToReconcile; index: number }[]) {
    this.asked = asked;
    const refs = [...new Set(asked.flatMap(({ fact }) => fact.candidates.map((c) => c.ref)))];
    const labelOf = new Map(refs.map((ref, i) => [ref, `M${i + 1}`]));
    this.refOf = new Map(refs.map((ref, i) => [`M${i + 1}`, ref]));
    this.factLabels = asked.map((_, i) => `F${i + 1}`) as [string, ...string[]];
    this.schema = decisionSchema(this.factLabels, [...this.refOf.keys()] as [string, ...string[]]);
    const shown = new Map(asked.flatMap(({ fact }) => fact.candidates.map((c) => [c.ref, c])));
    const describe = (type: string, eventTime: string | null) => (eventTime ? `${type}, ${eventTime.slice(0, 10)}` : type);
    this.prompt = [
      'Existing memories:',
      ...refs.map((ref) => `${labelOf.get(ref)}: ${shown.get(ref)!.memory} (${describe(shown.get(ref)!.type, shown.get(ref)!.eventTime)})`),
      '',
      'New facts:',
      ...asked.map(({ fact }, i) => `F${i + 1}: ${fact.text} (${describe(fact.type, fact.eventTime)}); may relate to ${fact.candidates.map((c) => labelOf.get(c.ref)).join(', ')}`),
    ].join('\n');
  }

  /** Validates the answer: the schema, then one decision per fact, and a target where the action needs one. */
  check(input: unknown): Checked<Map<string, Decision>> {
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) return { ok: false, problems: issueLines(parsed.error.issues) };
    const byFact = new Map(parsed.data.decisions.map((d) => [d.fact, d]));
    const problems = [
      ...this.factLabels.filter((f) => !byFact.has(f)).map((f) => `no decision for ${f}`),
      ...parsed.data.decisions.filter((d) => d.action !== 'new' && !d.target).map((d) => `${d.fact}: ${d.action} needs a target`),
    ];
    return problems.length ? { ok: false, problems } : { ok: true, answer: byFact };
  }

  /**
   * The decisions for every fact: the model's where it answered usably, the
   * offline rules' (`fallback`) where not; unasked facts are new.
   */
  decisions(facts: FactToReconcile[], answer: Checked<Map<string, Decision>>, fallback: (fact: FactToReconcile) => ReconcileDecision): ReconcileDecision[] {
    const decisions: ReconcileDecision[] = facts.map(() => ({ action: 'new', target: null, supersedes: [] }));
    this.asked.forEach(({ fact, index }, i) => {
      if (!answer.ok) {
        decisions[index] = fallback(fact);
        return;
      }
      const d = answer.answer.get(`F${i + 1}`)!;
      decisions[index] = {
        action: d.action,
        target: d.action !== 'new' && d.target ? this.refOf.get(d.target)! : null,
        supersedes: d.supersedes.map((label) => this.refOf.get(label)!),
      };
    });
    return decisions;
  }
}
