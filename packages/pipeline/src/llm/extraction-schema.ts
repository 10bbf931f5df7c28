import { z } from 'zod';
import { MEMORY_TYPES } from '@mnemo/core';

/**
 * What every model extractor must return (Claude through the record_memories
 * tool; an OpenAI-compatible server as a tool call, a structured output or
 * plain JSON). The zod schema is the single source: the JSON Schema the
 * model is given is generated from it and the answer is validated against it.
 */
export function extractionSchema(categoryNames: readonly [string, ...string[]]) {
  return z.object({
    facts: z
      .array(
        z.object({
          memory: z
            .string()
            .min(3)
            .max(500)
            .regex(/^User\b/, 'must be a third-person sentence starting with "User"')
            .describe('One standalone fact about the user, third person, starting with "User".'),
          message_ids: z
            .array(z.string())
            .min(1)
            .describe('Ids (the [brackets] in the transcript) of the messages the fact comes from.'),
          type: z.enum(MEMORY_TYPES).describe('semantic: lasting fact. episodic: time-bound event or plan.'),
          event_time: z
            .union([z.iso.date(), z.iso.datetime({ offset: true })])
            .nullable()
            .describe('For episodic facts, when it happens or happened (ISO-8601), resolved against the reference time; else null.'),
          categories: z.array(z.enum(categoryNames)).min(1).max(3).describe('The categories the fact belongs to.'),
        }),
      )
      .max(100)
      .describe('Every fact worth remembering about the user; empty for small talk.'),
  });
}

export type ExtractionAnswer = z.infer<ReturnType<typeof extractionSchema>>;

/** JSON Schema for a tool definition or a structured output, from a zod schema. */
export function toolInputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return json;
}
