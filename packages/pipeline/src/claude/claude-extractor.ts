import Anthropic from '@anthropic-ai/sdk';
import { MnemoError, type LlmUsage, type TaxonomyEntry } from '@mnemo/core';
import type { Analysis, ExtractedFact, Extraction, FactExtractor, Turn } from '../types';
import { checkExtraction, toFacts, type Checked } from '../llm/extraction-answer';
import { conversationPrompt, systemPrompt, TOOL_NAME } from '../llm/extraction-prompt';
import { extractionSchema, toolInputSchema, type ExtractionAnswer } from '../llm/extraction-schema';
import { providerFailure } from '../llm/provider-errors';
import { emptyUsage } from '../llm/usage';

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

type Message = Anthropic.Messages.Message;
type MessageParam = Anthropic.Messages.MessageParam;
export type ExtractionRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;

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
    return toFacts(answer, chunk);
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

  /** The forced tool call's input, checked (a truncated answer is not). */
  check(response: Message, validIds: Set<string>): Checked<ExtractionAnswer> {
    if (response.stop_reason === 'max_tokens') {
      return { ok: false, problems: [`the answer was cut off at max_tokens (${this.options.maxTokens})`] };
    }
    const toolUse = response.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use' && b.name === TOOL_NAME);
    if (!toolUse) return { ok: false, problems: [`no ${TOOL_NAME} tool call in the answer`] };
    return checkExtraction(this.schema, toolUse.input, validIds);
  }
}

/** Maps provider failures to what the queue should do with them; timeouts and connection errors retry. */
export function classifyProviderError(err: unknown): unknown {
  if (!(err instanceof Anthropic.APIError) || err.status === undefined) return err;
  return providerFailure('Claude', { status: err.status, headers: err.headers, message: err.message }, err) ?? err;
}
