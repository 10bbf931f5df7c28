import fs from 'node:fs';

/**
 * Generated chat-app exports in the shapes ChatGPT and Claude.ai produce,
 * for importer tests.
 */

let n = 0;
const id = (prefix: string) => `${prefix}-${(++n).toString(16).padStart(8, '0')}`;

/** A ChatGPT conversation: a message tree; `branch` adds an abandoned edit of the first prompt. */
export function chatGptConversation(turns: [role: 'user' | 'assistant', text: string][], options: { createTime: number; branch?: string; title?: string }) {
  const root = id('root');
  const system = id('sys');
  const mapping: Record<string, unknown> = {
    [root]: { id: root, message: null, parent: null, children: [system] },
    [system]: { id: system, message: { id: system, author: { role: 'system' }, create_time: null, content: { content_type: 'text', parts: [''] } }, parent: root, children: [] },
  };
  let parent = system;
  turns.forEach(([role, text], i) => {
    const node = id('node');
    (mapping[parent] as { children: string[] }).children.push(node);
    mapping[node] = {
      id: node,
      message: { id: node, author: { role }, create_time: options.createTime + i * 60, content: { content_type: 'text', parts: [text] } },
      parent,
      children: [],
    };
    if (i === 0 && options.branch) {
      // The first prompt as first written, then edited: a sibling branch the user left.
      const abandoned = id('node');
      (mapping[parent] as { children: string[] }).children.unshift(abandoned);
      mapping[abandoned] = {
        id: abandoned,
        message: { id: abandoned, author: { role: 'user' }, create_time: options.createTime, content: { content_type: 'text', parts: [options.branch] } },
        parent,
        children: [],
      };
    }
    parent = node;
  });
  const conversationId = id('conv');
  return { id: conversationId, conversation_id: conversationId, title: options.title ?? 'chat', create_time: options.createTime, update_time: options.createTime + 3600, mapping, current_node: parent };
}

/** A Claude.ai conversation. */
export function claudeConversation(turns: [sender: 'human' | 'assistant', text: string][], options: { createdAt: string; name?: string }) {
  return {
    uuid: id('claude'),
    name: options.name ?? 'chat',
    created_at: options.createdAt,
    updated_at: options.createdAt,
    chat_messages: turns.map(([sender, text], i) => ({
      uuid: id('msg'),
      sender,
      text,
      content: [{ type: 'text', text }],
      created_at: new Date(Date.parse(options.createdAt) + i * 60_000).toISOString(),
    })),
  };
}

/** A mnemo JSONL history of `total` one-message conversations ("I own i books.") spread over `users` users. */
export function writeBookHistory(file: string, total: number, users: number): void {
  fs.writeFileSync(
    file,
    Array.from({ length: total }, (_, i) =>
      JSON.stringify({ messages: [{ role: 'user', content: `I own ${i} books.` }], agent_id: 'import', thread_id: `t-${i}`, source: 'import', user_id: `reader-${i % users}` }),
    ).join('\n') + '\n',
  );
}
