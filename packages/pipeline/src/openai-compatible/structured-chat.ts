import OpenAI from 'openai';
import type { ZodType } from 'zod';
import type { LlmUsage } from '@mnemo/core';
import type { Checked } from '../llm/extraction-answer';
import { toolInputSchema } from '../llm/extraction-schema';
import { providerFailure } from '../llm/provider-errors';

/**
 * How the answer is asked for. Servers differ: vLLM, llama.cpp, LM Studio
 * and recent Ollama take a JSON-schema `response_format`; most take forced
 * tool calls; any model can be asked for plain JSON.
 */
export const OUTPUT_MODES = ['json_schema', 'tools', 'json'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export interface ModelServer {
  baseURL: string;
  /** Self-hosted servers often need none; the client insists on one. */
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxTokens: number;
  /** A fixed mode, or auto: json_schema first, stepping down when the server refuses it. */
  output: OutputMode | 'auto';
  /** Called before every model call; throws to hold it back (the fleet-wide request budget). */
  throttle?: () => Promise<void>;
}

/** One question with a structured answer: what to ask, the schema, and the check the answer must pass. */
export interface StructuredQuestion<T> {
  /** The system prompt, told how this mode answers ("by calling the record_memories tool", "as one JSON object"). */
  system: (answerWith: AnswerWith) => string;
  user: string;
  /** Tool (and schema) name. */
  name: string;
  description: string;
  schema: ZodType;
  check: (input: unknown) => Checked<T>;
  maxTokens?: number;
}

/** Phrases each mode puts into a prompt. */
export interface AnswerWith {
  mode: OutputMode;
  /** "by calling the x tool once" or "by answering with one JSON object". */
  how: string;
}

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Completion = OpenAI.Chat.Completions.ChatCompletion;

/** A server refusing an output mode names it in its 400 (or says it does not support it). */
const MODE_REFUSED = /response_format|json_schema|structured|tool|function|not supported|unsupported/i;

/**
 * Structured answers from any server that speaks OpenAI's chat-completions
 * format, through the official `openai` client: the answer is parsed and
 * checked, an unusable one gets one repair round-trip showing the model
 * what was wrong, and every call is counted (calls, tokens, time). Retries
 * are the queue's job, so the client makes none.
 */
export class StructuredChat {
  private readonly client: OpenAI;
  private mode: OutputMode;

  constructor(private readonly server: ModelServer) {
    this.client = new OpenAI({ baseURL: server.baseURL, apiKey: server.apiKey ?? 'none', maxRetries: 0, timeout: server.timeoutMs });
    this.mode = server.output === 'auto' ? 'json_schema' : server.output;
  }

  get model(): string {
    return this.server.model;
  }

  /** The mode in use now (auto may have stepped down). */
  get outputMode(): OutputMode {
    return this.mode;
  }

  /** The checked answer, or the problems of the second (repaired) answer. */
  async ask<T>(question: StructuredQuestion<T>, usage: LlmUsage): Promise<Checked<T>> {
    const { messages, answer, first } = await this.firstAnswer(question, usage);
    if (answer.ok) return answer;
    const repair = this.repairMessages(question, first, answer.problems);
    const second = await this.call(question, [...messages, ...repair], usage);
    return this.read(question, second);
  }

  private async firstAnswer<T>(question: StructuredQuestion<T>, usage: LlmUsage) {
    for (;;) {
      const messages: Message[] = [
        { role: 'system', content: this.systemFor(question) },
        { role: 'user', content: question.user },
      ];
      try {
        const first = await this.call(question, messages, usage);
        return { messages, first, answer: this.read(question, first) };
      } catch (err) {
        if (!this.stepDown(err)) throw err;
      }
    }
  }

  /** Auto mode: a server that refuses this mode gets the next one, for every later call too. */
  private stepDown(err: unknown): boolean {
    if (this.server.output !== 'auto' || this.mode === 'json') return false;
    const cause = (err as { cause?: unknown }).cause;
    if (!(cause instanceof OpenAI.APIError) || (cause.status !== 400 && cause.status !== 422) || !MODE_REFUSED.test(cause.message)) return false;
    this.mode = OUTPUT_MODES[OUTPUT_MODES.indexOf(this.mode) + 1]!;
    return true;
  }

  private systemFor<T>(question: StructuredQuestion<T>): string {
    if (this.mode === 'tools') return question.system({ mode: this.mode, how: `by calling the ${question.name} tool once` });
    const system = question.system({ mode: this.mode, how: 'by answering with one JSON object' });
    if (this.mode === 'json_schema') return system;
    // Plain JSON: the schema travels in the prompt, since the server does not enforce it.
    return `${system}\n\nAnswer with only a JSON object (no prose, no code fence) that matches this JSON Schema:\n${JSON.stringify(toolInputSchema(question.schema))}`;
  }

  private async call<T>(question: StructuredQuestion<T>, messages: Message[], usage: LlmUsage): Promise<Completion> {
    const schema = toolInputSchema(question.schema);
    const params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = {
      model: this.server.model,
      messages,
      max_tokens: question.maxTokens ?? this.server.maxTokens,
      stream: false,
      temperature: 0,
      ...(this.mode === 'json_schema' && { response_format: { type: 'json_schema', json_schema: { name: question.name, schema } } }),
      ...(this.mode === 'json' && { response_format: { type: 'json_object' } }),
      ...(this.mode === 'tools' && {
        tools: [{ type: 'function', function: { name: question.name, description: question.description, parameters: schema } }],
        tool_choice: { type: 'function', function: { name: question.name } },
      }),
    };
    await this.server.throttle?.();
    const started = performance.now();
    try {
      const completion = await this.client.chat.completions.create(params);
      usage.calls += 1;
      usage.input_tokens += completion.usage?.prompt_tokens ?? 0;
      usage.output_tokens += completion.usage?.completion_tokens ?? 0;
      usage.cache_read_input_tokens += completion.usage?.prompt_tokens_details?.cached_tokens ?? 0;
      return completion;
    } catch (err) {
      throw classifyModelServerError(err);
    } finally {
      usage.llm_ms += Math.round(performance.now() - started);
    }
  }

  /** The answer's JSON (tool arguments or message text), parsed and checked. */
  private read<T>(question: StructuredQuestion<T>, completion: Completion): Checked<T> {
    const choice = completion.choices[0];
    if (!choice) return { ok: false, problems: ['the answer had no choices'] };
    if (choice.finish_reason === 'length') return { ok: false, problems: [`the answer was cut off at max_tokens (${question.maxTokens ?? this.server.maxTokens})`] };
    const call = choice.message.tool_calls?.find((c) => c.type === 'function' && c.function.name === question.name);
    // A server that ignores tool_choice may still answer with the JSON as text: take it.
    const text = call?.type === 'function' ? call.function.arguments : choice.message.content;
    if (!text?.trim()) return { ok: false, problems: [this.mode === 'tools' ? `no ${question.name} tool call in the answer` : 'the answer was empty'] };
    let input: unknown;
    try {
      input = JSON.parse(jsonPart(text));
    } catch (err) {
      return { ok: false, problems: [`the answer is not JSON (${(err as Error).message})`] };
    }
    return question.check(input);
  }

  /** The turn that shows the model its answer and what was wrong with it. */
  private repairMessages<T>(question: StructuredQuestion<T>, first: Completion, problems: string[]): Message[] {
    const said = first.choices[0]?.message;
    const wrong = `Invalid answer: ${problems.join('; ')}`;
    const call = said?.tool_calls?.find((c) => c.type === 'function' && c.function.name === question.name);
    if (said && call) {
      return [
        { role: 'assistant', content: said.content ?? null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: wrong },
        { role: 'user', content: `Call ${question.name} again with the corrected input.` },
      ];
    }
    if (said?.content && first.choices[0]?.finish_reason !== 'length') {
      return [
        { role: 'assistant', content: said.content },
        { role: 'user', content: `${wrong}. Answer again with only the corrected JSON object.` },
      ];
    }
    // Nothing usable to show (cut off or empty): ask again, shorter.
    return [{ role: 'user', content: `Your previous answer was unusable (${problems.join('; ')}). Answer with fewer, shorter items.` }];
  }
}

/**
 * The JSON inside an answer: local models often wrap it in a code fence or
 * put their reasoning first (<think>…</think>).
 */
export function jsonPart(text: string): string {
  const stripped = text.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(stripped);
  return fenced ? fenced[1]!.trim() : stripped;
}

/** Maps a model server's failures to what the queue should do with them; timeouts and connection errors retry. */
export function classifyModelServerError(err: unknown): unknown {
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return err;
  return providerFailure('The model server', { status: err.status, headers: err.headers, message: err.message }, err) ?? err;
}
