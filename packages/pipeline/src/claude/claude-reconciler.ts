import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { LlmUsage } from '@mnemo/core';
import { relate } from '../reconcile/offline-reconciler';
import type { FactToReconcile, ReconcileDecision, Reconciler, ReconcileResult } from '../types';
import { createMessage, emptyUsage } from './claude-extractor';

export const RECONCILE_TOOL = 'reconcile_memories';

const SYSTEM = `You keep an assistant's memory of a user consistent. You get the user's existing memories (M1, M2, ...) and new facts just learned (F1, F2, ...), each with the existing memories it may relate to.
For every new fact decide:
- "duplicate": it says the same as one existing memory (target), in the same or other words, adding nothing.
- "refine": it says the same as one existing memory (target) with more detail; the memory will take the new wording.
- "new": neither.
Independently, list in "supersedes" the existing lasting (semantic) memories the new fact makes no longer true: a new home city, employer, job title, relationship status or name, or a changed preference. Never supersede an episodic memory: a past event stays true, and two trips are two memories.
Events fold only into the same event. When unsure, choose "new" and supersede nothing.
Call the ${RECONCILE_TOOL} tool with one decision per new fact.`;

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

export interface ClaudeReconcilerOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  throttle?: () => Promise<void>;
}

/**
 * One model call per job over the facts that have candidates. Memories are
 * shown under short labels and mapped back, so an id the model invents
 * cannot reach the store; an answer still unusable after one repair falls
 * back to the offline rules (reconciliation has a safe default, so it does
 * not fail the job).
 */
export class ClaudeReconciler implements Reconciler {
  readonly remote = true;
  private readonly client: Anthropic;

  constructor(private readonly options: ClaudeReconcilerOptions) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs });
  }

  async decide(facts: FactToReconcile[]): Promise<ReconcileResult> {
    const decisions: ReconcileDecision[] = facts.map(() => ({ action: 'new', target: null, supersedes: [] }));
    const asked = facts.map((fact, index) => ({ fact, index })).filter(({ fact }) => fact.candidates.length > 0);
    if (asked.length === 0) return { decisions, llm: null };

    const refs = [...new Set(asked.flatMap(({ fact }) => fact.candidates.map((c) => c.ref)))];
    const labelOf = new Map(refs.map((ref, i) => [ref, `M${i + 1}`]));
    const refOf = new Map(refs.map((ref, i) => [`M${i + 1}`, ref]));
    const factLabels = asked.map((_, i) => `F${i + 1}`) as [string, ...string[]];
    const schema = decisionSchema(factLabels, [...refOf.keys()] as [string, ...string[]]);
    const shown = new Map(asked.flatMap(({ fact }) => fact.candidates.map((c) => [c.ref, c])));
    const describe = (type: string, eventTime: string | null) => (eventTime ? `${type}, ${eventTime.slice(0, 10)}` : type);
    const prompt = [
      'Existing memories:',
      ...refs.map((ref) => `${labelOf.get(ref)}: ${shown.get(ref)!.memory} (${describe(shown.get(ref)!.type, shown.get(ref)!.eventTime)})`),
      '',
      'New facts:',
      ...asked.map(({ fact }, i) => `F${i + 1}: ${fact.text} (${describe(fact.type, fact.eventTime)}); may relate to ${fact.candidates.map((c) => labelOf.get(c.ref)).join(', ')}`),
    ].join('\n');

    const usage = emptyUsage(this.options.model);
    const tool = { name: RECONCILE_TOOL, description: 'Record how each new fact relates to the existing memories.', input_schema: toolSchema(schema) };
    const messages: Anthropic.Messages.MessageParam[] = [{ role: 'user', content: prompt }];
    let answer = check(schema, factLabels, await this.call(messages, tool, usage));
    if (!answer.ok && answer.toolUse) {
      messages.push(
        { role: 'assistant', content: answer.response.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: answer.toolUse.id, is_error: true, content: `Invalid input: ${answer.problems.join('; ')}` },
            { type: 'text', text: `Call ${RECONCILE_TOOL} again with the corrected input.` },
          ],
        },
      );
      answer = check(schema, factLabels, await this.call(messages, tool, usage));
    }

    asked.forEach(({ fact, index }, i) => {
      if (!answer.ok) {
        decisions[index] = relate(fact);
        return;
      }
      const d = answer.byFact.get(`F${i + 1}`)!;
      decisions[index] = {
        action: d.action,
        target: d.action !== 'new' && d.target ? refOf.get(d.target)! : null,
        supersedes: d.supersedes.map((label) => refOf.get(label)!),
      };
    });
    return { decisions, llm: usage };
  }

  private call(messages: Anthropic.Messages.MessageParam[], tool: Anthropic.Messages.Tool, usage: LlmUsage): Promise<Anthropic.Messages.Message> {
    const params = {
      model: this.options.model,
      max_tokens: 2_048,
      system: [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }],
      tools: [tool],
      tool_choice: { type: 'tool' as const, name: RECONCILE_TOOL },
      messages,
    };
    return createMessage(this.client, params, usage, this.options.throttle);
  }
}

type Schema = ReturnType<typeof decisionSchema>;
type Decision = z.infer<Schema>['decisions'][number];

function toolSchema(schema: Schema): Anthropic.Messages.Tool.InputSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return json as Anthropic.Messages.Tool.InputSchema;
}

/** Validates the answer: the schema, then one decision per fact, and a target where the action needs one. */
function check(
  schema: Schema,
  facts: string[],
  response: Anthropic.Messages.Message,
):
  | { ok: true; byFact: Map<string, Decision> }
  | { ok: false; problems: string[]; response: Anthropic.Messages.Message; toolUse?: Anthropic.Messages.ToolUseBlock } {
  const toolUse = response.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use' && b.name === RECONCILE_TOOL);
  if (!toolUse) return { ok: false, problems: [`no ${RECONCILE_TOOL} tool call`], response };
  const parsed = schema.safeParse(toolUse.input);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`), response, toolUse };
  }
  const byFact = new Map(parsed.data.decisions.map((d) => [d.fact, d]));
  const problems = [
    ...facts.filter((f) => !byFact.has(f)).map((f) => `no decision for ${f}`),
    ...parsed.data.decisions.filter((d) => d.action !== 'new' && !d.target).map((d) => `${d.fact}: ${d.action} needs a target`),
  ];
  return problems.length ? { ok: false, problems, response, toolUse } : { ok: true, byFact };
}
