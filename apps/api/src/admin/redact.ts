import { DROPPED_TEXT, isSealed, type PayloadCipher } from '@mnemo/core';

/**
 * Job data and results as operators see them in Bull Board: the shape,
 * counts and ids stay, the words people said and the memories drawn from
 * them do not. Sealed fields are opened first (the API holds the payload
 * key), so the view is the same with or without MNEMO_PAYLOAD_KEY and a
 * length is always the original text's.
 */
const mark = (text: unknown) =>
  text === DROPPED_TEXT ? '[text dropped]' : `[redacted: ${typeof text === 'string' ? text.length : 0} chars]`;

type Memories = { memory?: unknown }[];
const markMemories = (memories: Memories) => memories.map((m) => ({ ...m, memory: mark(m.memory) }));

export interface Redactors {
  ingestData(data: unknown): unknown;
  ingestResult(result: unknown): unknown;
  webhookData(data: unknown): unknown;
}

export function redactors(cipher: PayloadCipher | null): Redactors {
  /** A sealed value opened for redaction; one that cannot be opened shows as sealed, never as ciphertext. */
  const open = <T>(value: T | unknown): T | '[sealed]' => {
    if (!isSealed(value)) return value as T;
    return cipher ? cipher.openValue<T>(value) : '[sealed]';
  };

  return {
    ingestData(data) {
      if (!data || typeof data !== 'object') return data;
      const { conversation, checkpoint, ...rest } = data as { conversation?: unknown; checkpoint?: unknown };
      const opened = open<{ messages?: { content?: unknown }[] }>(conversation);
      const stages = open<{ outputs?: object }>(checkpoint);
      return {
        ...rest,
        ...(opened && typeof opened === 'object'
          ? { conversation: { ...opened, messages: opened.messages?.map((m) => ({ ...m, content: mark(m.content) })) } }
          : conversation !== undefined ? { conversation: opened } : {}),
        // The checkpoint holds the turns and facts; which stages it has is what matters to an operator.
        ...(stages && typeof stages === 'object' ? { checkpoint: { stages_done: Object.keys(stages.outputs ?? {}) } } : checkpoint !== undefined ? { checkpoint: stages } : {}),
      };
    },

    ingestResult(result) {
      if (!result || typeof result !== 'object') return result;
      const { memories, memories_sealed, ...rest } = result as { memories?: Memories; memories_sealed?: unknown };
      const sealed = memories_sealed === undefined ? undefined : open<Memories>(memories_sealed);
      const shown = Array.isArray(sealed) ? sealed : memories;
      return { ...rest, ...(shown ? { memories: markMemories(shown) } : {}), ...(sealed === '[sealed]' ? { memories: '[sealed]' } : {}) };
    },

    webhookData(data) {
      if (!data || typeof data !== 'object') return data;
      const { body, ...rest } = data as { body?: unknown };
      const opened = open<{ data?: Record<string, unknown> }>(body);
      if (!opened || typeof opened !== 'object') return { ...rest, body: opened };
      const inner = opened.data ?? {};
      const memories = Array.isArray(inner.memories) ? { memories: markMemories(inner.memories as Memories) } : {};
      return { ...rest, body: { ...opened, data: { ...inner, ...memories } } };
    },
  };
}
