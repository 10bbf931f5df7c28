import type { TaxonomyEntry } from '@mnemo/core';
import type { Turn } from '../types';

export const TOOL_NAME = 'record_memories';

/**
 * The stable part of every extraction request (cached): what to extract and
 * how. Per-conversation content goes in the user message after it.
 */
export function systemPrompt(taxonomy: TaxonomyEntry[], answerWith = `by calling the ${TOOL_NAME} tool once`): string {
  const categories = taxonomy.map((c) => `- ${c.name}: ${c.description}`).join('\n');
  return `You extract long-term memories about a user from a conversation between the user and an AI assistant.

Record every fact about the user that would help an assistant serve them later, ${answerWith}.

Rules:
- Facts come from what the user says. The assistant's messages are context only (a user's "yes" or short answer gets its meaning from the question before it).
- Each memory is one standalone sentence in the third person starting with "User" ("User works at Google as a senior engineer"), understandable without the conversation.
- Do not record small talk, greetings, thanks, questions, requests to the assistant, hypotheticals, or passing moods ("I'm tired today").
- type: "semantic" for lasting facts (identity, preferences, relationships, skills, ongoing situations); "episodic" for time-bound events and plans (a trip, a promotion, an appointment).
- event_time: for episodic facts, the date (YYYY-MM-DD) or date-time the event happens or happened, resolved against the reference time given with the conversation ("next Tuesday"); null when unknown or for semantic facts.
- message_ids: the ids in [brackets] of the messages the fact comes from.
- categories: one to three of:
${categories}
- Record nothing (an empty list) when the conversation holds no fact about the user.`;
}

/** The conversation as the model sees it: ids in brackets, roles, the reference time first. */
export function conversationPrompt(turns: Turn[], referenceTime: string): string {
  const transcript = turns.map((t) => `[${t.messageId}] ${t.role}: ${t.content}`).join('\n');
  return `Reference time: ${referenceTime}\n\nConversation:\n${transcript}`;
}
