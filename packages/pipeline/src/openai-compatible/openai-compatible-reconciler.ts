import { relate } from '../reconcile/offline-reconciler';
import type { FactToReconcile, Reconciler, ReconcileResult } from '../types';
import { RECONCILE_TOOL, ReconcileQuestion, reconcileSystem } from '../llm/reconcile-question';
import { emptyUsage } from '../llm/usage';
import type { StructuredChat } from './structured-chat';

/**
 * The Claude reconciler's question on an OpenAI-compatible server; an
 * answer unusable after one repair falls back to the offline rules.
 */
export class OpenAiCompatibleReconciler implements Reconciler {
  readonly remote = true;

  constructor(private readonly chat: StructuredChat) {}

  async decide(facts: FactToReconcile[]): Promise<ReconcileResult> {
    const question = ReconcileQuestion.of(facts);
    if (!question) return { decisions: facts.map(() => ({ action: 'new', target: null, supersedes: [] })), llm: null };
    const usage = emptyUsage(this.chat.model);
    const answer = await this.chat.ask(
      {
        system: ({ mode, how }) =>
          reconcileSystem(mode === 'tools' ? `Call the ${RECONCILE_TOOL} tool with one decision per new fact.` : `Answer ${how}, with one decision per new fact.`),
        user: question.prompt,
        name: RECONCILE_TOOL,
        description: 'Record how each new fact relates to the existing memories.',
        schema: question.schema,
        check: (input) => question.check(input),
        maxTokens: 2_048,
      },
      usage,
    );
    return { decisions: question.decisions(facts, answer, relate), llm: usage };
  }
}
