import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { LlmUsage, Memory } from '@mnemo/core';
import type { BioWriter } from '../profile/build-profile';
import { addUsage, classifyProviderError, emptyUsage } from './claude-extractor';

const TOOL_NAME = 'write_bio';
const bioSchema = z.object({
  bio: z.string().trim().min(1).max(1_200).describe('Two to four sentences, third person, plain prose.'),
});

const SYSTEM = `You write a short profile of a user from what an assistant remembers about them.
Write two to four sentences in the third person ("Priya is a nurse in Leeds who…"), in plain prose, using only the memories given.
Prefer lasting facts; mention recent events only when they matter. Leave out anything marked private.
Call the ${TOOL_NAME} tool with the text.`;

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
    const listed = memories.map((m) => `- (${m.type}; ${m.categories.join(', ')}) ${m.memory}`).join('\n');
    let response: Anthropic.Messages.Message;
    try {
      response = await this.client.messages.create({
        model: this.options.model,
        max_tokens: 600,
        system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
        tools: [{ name: TOOL_NAME, description: 'Record the profile text.', input_schema: z.toJSONSchema(bioSchema) as Anthropic.Messages.Tool.InputSchema }],
        tool_choice: { type: 'tool', name: TOOL_NAME },
        messages: [{ role: 'user', content: `Memories:\n${listed}` }],
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
