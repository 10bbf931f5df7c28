import type { Analysis, PipelineInput, Turn } from '../types';
import { lastQuestion } from '../offline/short-answer';

/**
 * Normalises messages, picks the reference time (metadata.timestamp, else the
 * last message timestamp, else when the API received the conversation),
 * pairs user answers with the assistant question before them, and splits
 * long conversations into chunks of at most `chunkChars` characters.
 */
export function analyze(input: PipelineInput, chunkChars: number): Analysis {
  const { messages, metadata } = input.conversation;
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
  const stamped = [...messages].reverse().find((m) => m.timestamp)?.timestamp;
  const referenceTime = new Date(metadata?.timestamp ?? stamped ?? input.receivedAt).toISOString();
  return { referenceTime, turns, chunks: chunk(turns, chunkChars) };
}

function chunk(turns: Turn[], chunkChars: number): Turn[][] {
  const chunks: Turn[][] = [];
  let current: Turn[] = [];
  let size = 0;
  for (const turn of turns) {
    // Never end a chunk between a question and its answer.
    const startsNew = size + turn.content.length > chunkChars && current.length > 0 && turn.precedingQuestion === null;
    if (startsNew) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(turn);
    size += turn.content.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
