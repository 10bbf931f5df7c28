import Anthropic from '@anthropic-ai/sdk';
import type { LlmUsage } from '@mnemo/core';
import { relate } from '../reconcile/offline-reconciler';
import type { FactToReconcile, Reconciler, ReconcileResult } from '../types';
import { toolInputSchema } from '../llm/extraction-schema';
import { RECONCILE_TOOL, ReconcileQuestion, reconcileSystem } from '../llm/reconcile-question';
import { emptyUsage } from '../llm/usage';
import { createMessage } from './claude-extractor';

export interface ClaudeReconcilerOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  throttle?: () => Promise<void>;
}

/**
 * One model call per job over the facts that have candidates (see
 * ReconcileQuestion); an answer still unusable after one repair falls back
 * to the offline rules (reconciliation has a safe default, so it does not
 * fail the job).
 */
export class ClaudeReconciler implements Reconciler {
  readonly remote = true;
  private readonly client: Anthropic;

  constructor(private readonly options: ClaudeReconcilerOptions) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs });
  }

  async decide(facts: FactToReconcile[]): Promise<ReconcileResult> {
    const question = ReconcileQuestion.of(facts);
    if (!question) return { decisions: facts.map(() => ({ action: 'new', target: null, supersedes: [] })), llm: null };

    const usage = emptyUsage(this.options.model);
    const tool = {
      name: RECONCILE_TOOL,
      description: 'Record how each new fact relates to the existing memories.',
      input_schema: toolInputSchema(question.schema) as Anthropic.Messages.Tool.InputSchema,
    };
    const messages: Anthropic.Messages.MessageParam[] = [{ role: 'user', content: question.prompt }];
    let response = await this.call(messages, tool, usage);
    let toolUse = findTool(response);
    let answer = toolUse ? question.check(toolUse.input) : { ok: false as const, problems: [`no ${RECONCILE_TOOL} tool call`] };
    if (!answer.ok && toolUse) {
      messages.push(
        { role: 'assistant', content: response.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, is_error: true, content: `Invalid input: ${answer.problems.join('; ')}` },
            { type: 'text', text: `Call ${RECONCILE_TOOL} again with the corrected input.` },
          ],
        },
      );
      response = await this.call(messages, tool, usage);
      toolUse = findTool(response);
      answer = toolUse ? question.check(toolUse.input) : { ok: false as const, problems: [`no ${RECONCILE_TOOL} tool call`] };
    }
    return { decisions: question.decisions(facts, answer, relate), llm: usage };
  }

  private call(messages: Anthropic.Messages.MessageParam[], tool: Anthropic.Messages.Tool, usage: LlmUsage): Promise<Anthropic.Messages.Message> {
    const params = {
      model: this.options.model,
      max_tokens: 2_048,
      system: [{ type: 'text' as const, text: reconcileSystem(), cache_control: { type: 'ephemeral' as const } }],
      tools: [tool],
      tool_choice: { type: 'tool' as const, name: RECONCILE_TOOL },
      messages,
    };
    return createMessage(this.client, params, usage, this.options.throttle);
  }
}

function findTool(response: Anthropic.Messages.Message): Anthropic.Messages.ToolUseBlock | undefined {
  return response.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use' && b.name === RECONCILE_TOOL);
}
