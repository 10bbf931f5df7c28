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
const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object';

export interface Redactors {
  ingestData(data: unknown): unknown;
  ingestResult(result: unknown): unknown;
  webhookData(data: unknown): unknown;
}

export function redactors(cipher: PayloadCipher | null): Redactors {
  /** A value as stored, opened if sealed; one this process cannot open shows as "[sealed]", never as ciphertext. */
  const open = (value: unknown): unknown => (!isSealed(value) ? value : cipher ? cipher.openValue(value) : '[sealed]');

  return {
    ingestData(data) {
      if (!isObject(data)) return data;
      const { conversation, checkpoint, ...rest } = data;
      const view: Record<string, unknown> = { ...rest };
      if (conversation !== undefined) {
        const opened = open(conversation);
        view.conversation =
          isObject(opened) && Array.isArray(opened.messages)
            ? { ...opened, messages: (opened.messages as { content?: unknown }[]).map((m) => ({ ...m, content: mark(m.content) })) }
            : opened;
      }
      if (checkpoint !== undefined) {
        // The checkpoint holds the turns and facts; which stages it has is what matters to an operator.
        const opened = open(checkpoint);
        view.checkpoint = isObject(opened) ? { stages_done: Object.keys((opened.outputs as object | undefined) ?? {}) } : opened;
      }
      return view;
    },

    ingestResult(result) {
      if (!isObject(result)) return result;
      const { memories, memories_sealed, ...rest } = result;
      const shown = memories_sealed === undefined ? memories : open(memories_sealed);
      return { ...rest, ...(shown === undefined ? {} : { memories: Array.isArray(shown) ? markMemories(shown as Memories) : shown }) };
    },

    webhookData(data) {
      if (!isObject(data)) return data;
      const { body, ...rest } = data;
      const opened = open(body);
      if (!isObject(opened) || !isObject(opened.data)) return { ...rest, body: opened };
      const inner = opened.data;
      return { ...rest, body: { ...opened, data: Array.isArray(inner.memories) ? { ...inner, memories: markMemories(inner.memories as Memories) } : inner } };
    },
  };
}
