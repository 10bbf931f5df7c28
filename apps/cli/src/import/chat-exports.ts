import { createHash } from 'node:crypto';

/**
 * Conversations from the chat apps' data exports, as store-memories bodies.
 * Each keeps its source id, from which the importer derives a deterministic
 * idempotency key: importing the same export twice enqueues nothing new.
 */

export interface ImportMessage {
  role: 'user' | 'assistant';
  content: string;
  id?: string;
  timestamp?: string;
}

export interface ImportBody {
  messages: ImportMessage[];
  agent_id: string;
  thread_id: string;
  source: string;
  metadata?: { timestamp?: string; platform?: string; title?: string };
  user_id?: string;
  idempotency_key: string;
}

/** Seconds since the epoch (ChatGPT) or an ISO string (Claude) as ISO-8601; undefined when absent or bad. */
function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return undefined;
}

/**
 * An export's conversation as a body: the source id names the thread; the
 * idempotency key is the source id and a hash of the messages, so importing
 * the same export again changes nothing, while a conversation that has
 * grown since is a new body under a new key (the API refuses a reused key
 * with other content).
 */
function exportBody(
  app: 'chatgpt' | 'claude',
  sourceId: string,
  agentId: string,
  messages: ImportMessage[],
  created: string | undefined,
  title: string | undefined,
): ImportBody {
  return {
    messages,
    agent_id: agentId,
    thread_id: sourceId,
    source: `${app}-export`,
    metadata: { timestamp: created ?? messages[0]!.timestamp, platform: app, title },
    idempotency_key: `import:${app}:${sourceId}:${createHash('sha256').update(JSON.stringify(messages)).digest('hex').slice(0, 16)}`,
  };
}

interface ChatGptNode {
  id?: string;
  parent?: string | null;
  message?: {
    id?: string;
    author?: { role?: string };
    create_time?: number | null;
    content?: { content_type?: string; parts?: unknown[] };
  } | null;
}

interface ChatGptConversation {
  id?: string;
  conversation_id?: string;
  title?: string;
  create_time?: number;
  current_node?: string;
  mapping?: Record<string, ChatGptNode>;
}

/** Content types whose parts are what was said: plain text, and text beside images or voice. */
const CHATGPT_TEXT_TYPES = new Set(['text', 'multimodal_text']);

/**
 * The text of a ChatGPT message: its string parts, and the transcript of a
 * voice part; images, files and audio themselves are left out. Other
 * content types (code runs, browsing results, tool output) are not speech.
 */
function textOf(content: NonNullable<ChatGptNode['message']>['content']): string {
  if (!content?.content_type || !CHATGPT_TEXT_TYPES.has(content.content_type)) return '';
  const texts = (content.parts ?? []).map((part) => {
    if (typeof part === 'string') return part;
    const { content_type, text } = (part ?? {}) as { content_type?: unknown; text?: unknown };
    return content_type === 'audio_transcription' && typeof text === 'string' ? text : '';
  });
  return texts.map((t) => t.trim()).filter(Boolean).join('\n');
}

/**
 * A ChatGPT export conversation: the message tree is walked from the node
 * that was current at export back to the root, so an edited prompt's
 * abandoned branches are left out, and the turns come out in order. Only
 * user and assistant turns are kept, and of them only the text (an image's
 * caption stays, the image goes; no system or tool turns).
 */
export function fromChatGpt(conversation: ChatGptConversation, agentId: string): ImportBody | { invalid: string; sourceId: string } {
  const sourceId = conversation.conversation_id ?? conversation.id ?? '';
  if (!sourceId || !conversation.mapping) return { invalid: 'not a ChatGPT conversation (no id or mapping)', sourceId };
  const mapping = conversation.mapping;
  const leaf =
    (conversation.current_node && mapping[conversation.current_node] ? conversation.current_node : undefined) ??
    // Without a current node, the last node that has no children.
    Object.keys(mapping).filter((id) => !Object.values(mapping).some((n) => n.parent === id)).pop();
  const path: ChatGptNode[] = [];
  const seen = new Set<string>();
  for (let id = leaf; id && mapping[id] && !seen.has(id); id = mapping[id]!.parent ?? undefined) {
    seen.add(id);
    path.push(mapping[id]!);
  }
  path.reverse();
  const messages: ImportMessage[] = [];
  for (const node of path) {
    const message = node.message;
    const role = message?.author?.role;
    if (!message || (role !== 'user' && role !== 'assistant')) continue;
    const text = textOf(message.content);
    if (!text) continue;
    messages.push({ role, content: text, id: message.id ?? node.id, timestamp: isoTime(message.create_time) });
  }
  if (messages.length === 0) return { invalid: 'no user or assistant text in the conversation', sourceId };
  return exportBody('chatgpt', sourceId, agentId, messages, isoTime(conversation.create_time), conversation.title);
}

interface ClaudeMessage {
  uuid?: string;
  sender?: string;
  text?: string;
  content?: { type?: string; text?: string }[];
  created_at?: string;
}

interface ClaudeConversation {
  uuid?: string;
  name?: string;
  created_at?: string;
  chat_messages?: ClaudeMessage[];
}

/** A Claude.ai export conversation: chat_messages in order, human turns as the user's. */
export function fromClaude(conversation: ClaudeConversation, agentId: string): ImportBody | { invalid: string; sourceId: string } {
  const sourceId = conversation.uuid ?? '';
  if (!sourceId || !Array.isArray(conversation.chat_messages)) return { invalid: 'not a Claude conversation (no uuid or chat_messages)', sourceId };
  const messages: ImportMessage[] = [];
  for (const message of conversation.chat_messages) {
    const role = message.sender === 'human' ? 'user' : message.sender === 'assistant' ? 'assistant' : null;
    if (!role) continue;
    const blocks = (message.content ?? []).filter((b) => b.type === 'text' && typeof b.text === 'string').map((b) => b.text!);
    const text = (blocks.length ? blocks.join('\n') : (message.text ?? '')).trim();
    if (!text) continue;
    messages.push({ role, content: text, id: message.uuid, timestamp: isoTime(message.created_at) });
  }
  if (messages.length === 0) return { invalid: 'no human or assistant text in the conversation', sourceId };
  return exportBody('claude', sourceId, agentId, messages, isoTime(conversation.created_at), conversation.name);
}

/** A JSON Lines record is a store-memories body; without its own idempotency key, its content names it. */
export function fromJsonLine(line: string, lineNumber: number): ImportBody | { invalid: string; sourceId: string } {
  const sourceId = `line ${lineNumber}`;
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch (err) {
    return { invalid: `not JSON: ${(err as Error).message}`, sourceId };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { invalid: 'not a JSON object', sourceId };
  const record = body as Record<string, unknown>;
  const key = typeof record.idempotency_key === 'string' ? record.idempotency_key : `import:jsonl:${createHash('sha256').update(line).digest('hex').slice(0, 32)}`;
  return { ...(record as unknown as ImportBody), idempotency_key: key };
}
