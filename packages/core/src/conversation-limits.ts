import { MnemoError } from './error-codes';

/**
 * The size limits of one conversation, the same however it arrives: alone
 * (POST /v1/memories), as one item of a batch, or from the importer. The
 * schema enforces the message count and characters; the byte bound depends
 * on configuration (MNEMO_MAX_BODY_BYTES), so it is checked here.
 */
export const CONVERSATION_MAX_MESSAGES = 1_000;
export const MESSAGE_MAX_CHARS = 100_000;
/** Default of MNEMO_MAX_BODY_BYTES: the largest conversation, as UTF-8 JSON. */
export const DEFAULT_MAX_CONVERSATION_BYTES = 1_048_576;

/** What a conversation weighs: its JSON in UTF-8, as it is sent and as it sits in Redis. */
export function conversationBytes(conversation: unknown): number {
  return Buffer.byteLength(JSON.stringify(conversation) ?? '', 'utf8');
}

/** 413 PAYLOAD_TOO_LARGE when the conversation is over the byte bound; null when it fits. */
export function oversizedConversation(conversation: unknown, maxBytes: number): MnemoError | null {
  const bytes = conversationBytes(conversation);
  if (bytes <= maxBytes) return null;
  return new MnemoError('PAYLOAD_TOO_LARGE', `The conversation is ${bytes} bytes as JSON; the limit is ${maxBytes} bytes`, {
    bytes,
    limit_bytes: maxBytes,
  });
}
