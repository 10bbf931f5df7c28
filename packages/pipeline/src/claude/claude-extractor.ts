import Anthropic from '@anthropic-ai/sdk';
import { MnemoError, type LlmUsage, type TaxonomyEntry } from '@mnemo/core';
import type { Analysis, ExtractedFact, Extraction, FactExtractor, Turn } from '../types';
import { conversationPrompt, systemPrompt, TOOL_NAME } from './claude-prompt';
import { extractionSchema, toolInputSchema, type ExtractionAnswer } from './extraction-schema';

export interface ClaudeExtractorOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  maxTokens: number;
  timeoutMs: number;
  taxonomy: TaxonomyEntry[];
  /** Called before every model call; throws to hold it back (the fleet-wide request budget). */
  throttle?: () => Promise<void>;
}

/** Statuses a retry cannot fix. */
const FINAL_STATUSES = new Set([400, 401, 402, 403, 404, 413, 422]);
/** 429 rate limited, 529 overloaded: back off, do not count as a failed attempt. */
const BACK_OFF_STATUSES = new Set([429, 529]);
const DEFAULT_BACK_OFF_MS = 30_000;

type Message = Anthropic.Messages.Message;
type MessageParam = Anthropic.Messages.MessageParam;
export type ExtractionRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;

export function emptyUsage(model: string): LlmUsage {
  return { model, calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, llm_ms: 0 };
}

export function addUsage(usage: LlmUsage, response: Message): void {
  usage.calls += 1;
  usage.input_tokens += response.usage.input_tokens;
  usage.output_tokens += response.usage.output_tokens;
  usage.cache_creation_input_tokens += response.usage.cache_creation_input_tokens ?? 0;
  usage.cache_read_input_tokens += response.usage.cache_read_input_tokens ?? 0;
}

/**
 * One Messages API call, counted into `usage` (tokens and time) and with
 * provider errors mapped for the queue. Every caller goes through the
 * fleet-wide request budget (`throttle`) first.
 */
export async function createMessage(
  client: Anthropic,
  params: Anthropic.Messages.MessageCreateParamsNonStreaming,
  usage: LlmUsage,
  throttle?: () => Promise<void>,
): Promise<Message> {
  await throttle?.();
  const started = performance.now();
  try {
    const response = await client.messages.create(params);
    addUsage(usage, response);
    return response;
  } catch (err) {
    throw classifyProviderError(err);
  } finally {
    usage.llm_ms += Math.round(performance.now() - started);
  }
}

/**
 * Extraction, classification and categorisation in one forced tool call per
 * conversation chunk. The answer is validated with zod; an invalid or
 * truncated answer gets one repair round-trip, then the job fails with
 * PROCESSING_ERROR saying why.
 */
export class ClaudeExtractor implements FactExtractor {
  private readonly client: Anthropic;
  private readonly schema: ReturnType<typeof extractionSchema>;
  private readonly tool: Anthropic.Messages.Tool;
  private readonly system: Anthropic.Messages.TextBlockParam[];

  constructor(private readonly options: ClaudeExtractorOptions) {
    // Retries are the queue's job: 429/529 pause the worker, 5xx retry the job with backoff.
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs });
    const names = options.taxonomy.map((c) => c.name) as [string, ...string[]];
    this.schema = extractionSchema(names);
    this.tool = {
      name: TOOL_NAME,
      description: 'Record the facts about the user found in the conversation.',
      input_schema: toolInputSchema(this.schema) as Anthropic.Messages.Tool.InputSchema,
    };
    // The breakpoint after the stable instructions caches tools + system for every conversation.
    this.system = [{ type: 'text', text: systemPrompt(options.taxonomy), cache_control: { type: 'ephemeral' } }];
  }

  get model(): string {
    return this.options.model;
  }

  async extract(analysis: Analysis): Promise<Extraction> {
    const usage = emptyUsage(this.options.model);
    const facts: ExtractedFact[] = [];
    for (const chunk of analysis.chunks) {
      facts.push(...this.toFacts(await this.extractChunk(chunk, analysis.referenceTime, usage), chunk));
    }
    return { facts, llm: usage };
  }

  /** The request for one chunk: the same for the Messages API and for a batch entry. */
  request(chunk: Turn[], referenceTime: string): ExtractionRequest {
    return this.requestWith([{ role: 'user', content: conversationPrompt(chunk, referenceTime) }]);
  }

  private requestWith(messages: MessageParam[]): ExtractionRequest {
    return {
      model: this.options.model,
      max_tokens: this.options.maxTokens,
      system: this.system,
      tools: [this.tool],
      tool_choice: { type: 'tool', name: TOOL_NAME },
      messages,
    };
  }

  toFacts(answer: ExtractionAnswer, chunk: Turn[]): ExtractedFact[] {
    const byId = new Map(chunk.map((t) => [t.messageId, t]));
    return answer.facts.map((fact) => ({
      text: fact.memory,
      evidence: fact.message_ids.map((id) => byId.get(id)?.content ?? '').join('\n'),
      messageIds: fact.message_ids,
      proposed: { type: fact.type, eventTime: fact.event_time ? new Date(fact.event_time).toISOString() : null, categories: fact.categories },
    }));
  }

  private async extractChunk(chunk: Turn[], referenceTime: string, usage: LlmUsage): Promise<ExtractionAnswer> {
    const messages: MessageParam[] = [{ role: 'user', content: conversationPrompt(chunk, referenceTime) }];
    const validIds = new Set(chunk.map((t) => t.messageId));

    const first = await this.call(messages, usage);
    const checked = this.check(first, validIds);
    if (checked.ok) return checked.answer;

    // One repair round-trip: show the model what was wrong.
    const toolUse = first.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use');
    const repair: MessageParam[] = toolUse
      ? [
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: toolUse.id, is_error: true, content: `Invalid input: ${checked.problems.join('; ')}` },
              { type: 'text', text: `Call ${TOOL_NAME} again with the corrected input.` },
            ],
          },
        ]
      : [];
    const retryMessages: MessageParam[] = toolUse
      ? [...messages, ...repair]
      : [{ role: 'user', content: `${conversationPrompt(chunk, referenceTime)}\n\nYour previous answer was unusable (${checked.problems.join('; ')}). Record fewer, shorter facts.` }];
    const second = await this.call(retryMessages, usage);
    const rechecked = this.check(second, validIds);
    if (rechecked.ok) return rechecked.answer;
    // The calls were made and billed: their usage travels with the error.
    throw new MnemoError('PROCESSING_ERROR', `Claude's answer was invalid after one repair: ${rechecked.problems.join('; ')}`, { llm: usage });
  }

  private call(messages: MessageParam[], usage: LlmUsage): Promise<Message> {
    return createMessage(this.client, this.requestWith(messages), usage, this.options.throttle);
  }

  /** Validates the tool input with zod, then what zod cannot know: the message ids. */
  check(response: Message, validIds: Set<string>): { ok: true; answer: ExtractionAnswer } | { ok: false; problems: string[] } {
    if (response.stop_reason === 'max_tokens') {
      return { ok: false, problems: [`the answer was cut off at max_tokens (${this.options.maxTokens})`] };
    }
    const toolUse = response.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use' && b.name === TOOL_NAME);
    if (!toolUse) return { ok: false, problems: [`no ${TOOL_NAME} tool call in the answer`] };
    const parsed = this.schema.safeParse(toolUse.input);
    if (!parsed.success) {
      return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`) };
    }
    const unknown = parsed.data.facts.flatMap((f, i) => f.message_ids.filter((id) => !validIds.has(id)).map((id) => `facts.${i}.message_ids: unknown id "${id}"`));
    return unknown.length ? { ok: false, problems: unknown } : { ok: true, answer: parsed.data };
  }
}

/** Maps provider failures to what the queue should do with them. */
export function classifyProviderError(err: unknown): unknown {
  if (!(err instanceof Anthropic.APIError) || err.status === undefined) return err; // timeouts, connection: retry
  if (BACK_OFF_STATUSES.has(err.status)) {
    const header = err.headers?.get('retry-after');
    const seconds = header ? Number(header) : NaN;
    const retryAfterMs = Number.isFinite(seconds) ? Math.max(1_000, seconds * 1_000) : DEFAULT_BACK_OFF_MS;
    return new MnemoError('RATE_LIMIT_EXCEEDED', `Claude answered ${err.status}; backing off ${retryAfterMs} ms`, { retry_after_ms: retryAfterMs });
  }
  if (FINAL_STATUSES.has(err.status)) {
    return new MnemoError('PROCESSING_ERROR', `Claude refused the request (${err.status}): ${err.message}`, undefined, { cause: err });
  }
  return err; // 5xx: retry with backoff
}
