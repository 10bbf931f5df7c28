import type { Analysis, PipelineInput, Turn } from '../types';

/**
 * Normalises messages, picks the reference time (metadata.timestamp, else the
 * last message timestamp, else when the API received the conversation),
 * pairs user answers with the assistant question before them, and splits
 * long conversations into chunks of at most `chunkTokens` (estimated) tokens.
 */
export function analyze(input: PipelineInput, chunkTokens: number): Analysis {
  const { messages } = input.conversation;
  const turns: Turn[] = messages.map((message, index) => {
    const previous = index > 0 ? messages[index - 1] : undefined;
    return {
      index,
      role: message.role,
      content: message.content.normalize('NFC').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').trim(),
      messageId: message.id ?? String(index),
      precedingQuestion:
        message.role === 'user' && previous?.role === 'assistant' ? lastQuestion(previous.content) : null,
    };
  });
  const referenceTime = conversationTime(input) ?? new Date(input.receivedAt).toISOString();
  return { referenceTime, turns, chunks: chunk(turns, chunkTokens) };
}

/**
 * When the conversation took place, as the client says (metadata.timestamp,
 * else its newest message timestamp); null when it says nothing. Dates are
 * resolved against it, and memories are dated by it.
 */
export function conversationTime(input: PipelineInput): string | null {
  const { metadata, messages } = input.conversation;
  const stamped = metadata?.timestamp ?? [...messages].reverse().find((m) => m.timestamp)?.timestamp;
  return stamped ? new Date(stamped).toISOString() : null;
}

/**
 * Tokens a text costs a model, estimated at four characters per token (the
 * usual ratio for English with Claude's tokenizer); good enough for a budget
 * that leaves headroom, and needs no model-specific tokenizer.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function chunk(turns: Turn[], chunkTokens: number): Turn[][] {
  const chunks: Turn[][] = [];
  let current: Turn[] = [];
  let size = 0;
  for (const turn of turns) {
    // Never end a chunk between a question and its answer.
    const cost = estimateTokens(turn.content);
    const startsNew = size + cost > chunkTokens && current.length > 0 && turn.precedingQuestion === null;
    if (startsNew) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(turn);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The last question in an assistant message, if it ends with one. */
function lastQuestion(text: string): string | null {
  const sentences = text.split(/(?<=[.!?])\s+/).map((s) => s.trim());
  for (let i = sentences.length - 1; i >= 0; i--) {
    if (sentences[i]!.endsWith('?')) return sentences[i]!;
  }
  return null;
}
