import { z } from 'zod';
import type { Memory } from '@mnemo/core';

export const BIO_TOOL = 'write_bio';

export const bioSchema = z.object({
  bio: z.string().trim().min(1).max(1_200).describe('Two to four sentences, third person, plain prose.'),
});

export function bioSystem(answerWith = `Call the ${BIO_TOOL} tool with the text.`): string {
  return `You write a short profile of a user from what an assistant remembers about them.
Write two to four sentences in the third person ("Priya is a nurse in Leeds who…"), in plain prose, using only the memories given.
Prefer lasting facts; mention recent events only when they matter. Leave out anything marked private.
${answerWith}`;
}

/** The user's strongest memories as the model is shown them. */
export function bioPrompt(memories: Memory[]): string {
  return `Memories:\n${memories.map((m) => `- (${m.type}; ${m.categories.join(', ')}) ${m.memory}`).join('\n')}`;
}
