import Anthropic from '@anthropic-ai/sdk';
import type { LlmUsage, Memory } from '@mnemo/core';
import type { BioWriter } from '../profile/build-profile';
import { BIO_TOOL, bioPrompt, bioSchema, bioSystem } from '../llm/bio-prompt';
import { toolInputSchema } from '../llm/extraction-schema';
import { emptyUsage } from '../llm/usage';
import { addUsage, classifyProviderError } from './claude-extractor';

/** The bio written by Claude from the user's strongest memories. */
export class ClaudeBioWriter implements BioWriter {
  private readonly client: Anthropic;

  constructor(
    private readonly options: { apiKey: string; baseURL?: string; model: string; timeoutMs: number; throttle?: () => Promise<void> },
  ) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 1, timeout: options.timeoutMs });
  }

  async write(memories: Memory[]): Promise<{ bio: string; llm: LlmUsage }> {
    await this.options.throttle?.();
    const usage = emptyUsage(this.options.model);
    const started = performance.now();
    let response: Anthropic.Messages.Message;
    try {
      response = await this.client.messages.create({
        model: this.options.model,
        max_tokens: 600,
        system: [{ type: 'text', text: bioSystem(), cache_control: { type: 'ephemeral' } }],
        tools: [{ name: BIO_TOOL, description: 'Record the profile text.', input_schema: toolInputSchema(bioSchema) as Anthropic.Messages.Tool.InputSchema }],
        tool_choice: { type: 'tool', name: BIO_TOOL },
        messages: [{ role: 'user', content: bioPrompt(memories) }],
      });
    } catch (err) {
      throw classifyProviderError(err);
    } finally {
      usage.llm_ms = Math.round(performance.now() - started);
    }
    addUsage(usage, response);
    const toolUse = response.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use');
    const parsed = bioSchema.safeParse(toolUse?.input);
    if (!parsed.success) throw new Error(`Claude's bio was unusable: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return { bio: parsed.data.bio, llm: usage };
  }
}
