import type { LlmUsage, Memory } from '@mnemo/core';
import type { BioWriter } from '../profile/build-profile';
import { BIO_TOOL, bioPrompt, bioSchema, bioSystem } from '../llm/bio-prompt';
import { issueLines } from '../llm/extraction-answer';
import { emptyUsage } from '../llm/usage';
import type { StructuredChat } from './structured-chat';

/** The profile bio written by an OpenAI-compatible model; an unusable one leaves the assembled bio. */
export class OpenAiCompatibleBioWriter implements BioWriter {
  constructor(private readonly chat: StructuredChat) {}

  async write(memories: Memory[]): Promise<{ bio: string; llm: LlmUsage }> {
    const usage = emptyUsage(this.chat.model);
    const answer = await this.chat.ask(
      {
        system: ({ mode, how }) => bioSystem(mode === 'tools' ? `Call the ${BIO_TOOL} tool with the text.` : `Answer ${how} holding the text as "bio".`),
        user: bioPrompt(memories),
        name: BIO_TOOL,
        description: 'Record the profile text.',
        schema: bioSchema,
        check: (input) => {
          const parsed = bioSchema.safeParse(input);
          return parsed.success ? { ok: true, answer: parsed.data.bio } : { ok: false, problems: issueLines(parsed.error.issues) };
        },
        maxTokens: 600,
      },
      usage,
    );
    if (!answer.ok) throw new Error(`The model's bio was unusable: ${answer.problems.join('; ')}`);
    return { bio: answer.answer, llm: usage };
  }
}
