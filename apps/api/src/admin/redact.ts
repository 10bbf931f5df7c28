/**
 * Job data and results as operators see them: the shape, counts and ids
 * stay, the words people said and the memories drawn from them do not.
 */
const MARK = (text: unknown) => `[redacted: ${typeof text === 'string' ? text.length : 0} chars]`;

export function redactJobData(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const { conversation, checkpoint, ...rest } = data as { conversation?: { messages?: { role?: string; content?: unknown }[] }; checkpoint?: { outputs?: object } };
  return {
    ...rest,
    ...(conversation
      ? { conversation: { ...conversation, messages: conversation.messages?.map((m) => ({ ...m, content: MARK(m.content) })) } }
      : {}),
    // The checkpoint holds the turns and facts; which stages it has is what matters to an operator.
    ...(checkpoint ? { checkpoint: { stages_done: Object.keys(checkpoint.outputs ?? {}) } } : {}),
  };
}

export function redactJobResult(result: unknown): unknown {
  if (!result || typeof result !== 'object') return result;
  const { memories, ...rest } = result as { memories?: { memory?: unknown }[] };
  return memories ? { ...rest, memories: memories.map((m) => ({ ...m, memory: MARK(m.memory) })) } : rest;
}
