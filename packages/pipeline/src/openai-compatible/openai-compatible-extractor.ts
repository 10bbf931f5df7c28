import { MnemoError, type TaxonomyEntry } from '@mnemo/core';
import type { Analysis, ExtractedFact, Extraction, FactExtractor } from '../types';
import { checkExtraction, toFacts } from '../llm/extraction-answer';
import { conversationPrompt, systemPrompt, TOOL_NAME } from '../llm/extraction-prompt';
import { extractionSchema } from '../llm/extraction-schema';
import { emptyUsage } from '../llm/usage';
import type { StructuredChat } from './structured-chat';

/**
 * The Claude extractor's contract on any OpenAI-compatible model server:
 * the same prompt and zod schema, one call per conversation chunk, one
 * repair round-trip, then PROCESSING_ERROR saying why.
 */
export class OpenAiCompatibleExtractor implements FactExtractor {
  private readonly schema: ReturnType<typeof extractionSchema>;

  constructor(
    private readonly chat: StructuredChat,
    private readonly taxonomy: TaxonomyEntry[],
  ) {
    this.schema = extractionSchema(taxonomy.map((c) => c.name) as [string, ...string[]]);
  }

  async extract(analysis: Analysis): Promise<Extraction> {
    const usage = emptyUsage(this.chat.model);
    const facts: ExtractedFact[] = [];
    for (const chunk of analysis.chunks) {
      const validIds = new Set(chunk.map((t) => t.messageId));
      const answer = await this.chat.ask(
        {
          system: ({ how }) => systemPrompt(this.taxonomy, how),
          user: conversationPrompt(chunk, analysis.referenceTime),
          name: TOOL_NAME,
          description: 'Record the facts about the user found in the conversation.',
          schema: this.schema,
          check: (input) => checkExtraction(this.schema, input, validIds),
        },
        usage,
      );
      // The calls were made (and maybe billed): their usage travels with the error.
      if (!answer.ok) throw new MnemoError('PROCESSING_ERROR', `The model's answer was invalid after one repair: ${answer.problems.join('; ')}`, { llm: usage });
      facts.push(...toFacts(answer.answer, chunk));
    }
    return { facts, llm: usage };
  }
}
