import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { DEFAULT_MAX_CONVERSATION_BYTES, oversizedConversation, wellFormed } from '@mnemo/core';
import { fromChatGpt, fromClaude, fromJsonLine, type ImportBody } from './chat-exports';

export const FORMATS = ['jsonl', 'chatgpt', 'claude'] as const;
export type Format = (typeof FORMATS)[number];

export type SourceItem = ImportBody | { invalid: string; sourceId: string };

/** A file's bytes, gunzipped when they are gzip (by content, not by name). */
async function open(file: string): Promise<Readable> {
  const handle = await fs.promises.open(file, 'r');
  const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
  await handle.close();
  const raw = fs.createReadStream(file);
  return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b ? raw.pipe(zlib.createGunzip()) : raw;
}

/** The first bytes of a file's (decompressed) content. */
async function head(file: string, bytes = 65_536): Promise<string> {
  const stream = await open(file);
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString('utf8');
    if (text.length >= bytes) break;
  }
  stream.destroy();
  return text.slice(0, bytes);
}

/** JSON Lines by name or by a first line that is an object; a JSON array by what its first conversation holds. */
export async function detectFormat(file: string): Promise<Format> {
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(file)) return 'jsonl';
  const start = (await head(file)).trimStart();
  if (start.startsWith('[')) {
    if (/"mapping"\s*:/.test(start)) return 'chatgpt';
    if (/"chat_messages"\s*:/.test(start)) return 'claude';
    throw new Error(`${file}: a JSON array, but neither a ChatGPT nor a Claude export; use --format`);
  }
  if (start.startsWith('{')) return 'jsonl';
  throw new Error(`${file}: cannot tell the format; use --format jsonl|chatgpt|claude`);
}

/** The files to import: the path itself, or the importable files under a directory, in a stable order. */
export async function filesOf(target: string): Promise<string[]> {
  const stat = await fs.promises.stat(target).catch(() => {
    throw new Error(`${target}: no such file or directory`);
  });
  if (!stat.isDirectory()) return [target];
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (/\.(jsonl|ndjson|json)(\.gz)?$/i.test(entry.name)) found.push(full);
    }
  };
  await walk(target);
  return found;
}

/**
 * An item as the API would take it: well-formed Unicode (lone surrogates
 * replaced, as the API does), and refused here when the conversation is
 * over the byte bound the API holds every conversation to, rather than
 * sent to be refused.
 */
export function admitted(item: SourceItem, maxConversationBytes = DEFAULT_MAX_CONVERSATION_BYTES): SourceItem {
  if ('invalid' in item) return item;
  const body = wellFormed(item);
  const { user_id: _user, idempotency_key, ...conversation } = body;
  const oversized = oversizedConversation(conversation, maxConversationBytes);
  return oversized ? { invalid: oversized.message, sourceId: idempotency_key } : body;
}

/**
 * Every conversation of a file, streamed: a file larger than memory is read
 * a record at a time (JSON Lines by line, exports as a streamed array).
 */
export async function* readFile(file: string, format: Format, agentId: string, maxConversationBytes?: number): AsyncGenerator<SourceItem> {
  const stream = await open(file);
  if (format === 'jsonl') {
    let lineNumber = 0;
    for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNumber++;
      if (line.trim()) yield admitted(fromJsonLine(line, lineNumber), maxConversationBytes);
    }
    return;
  }
  const convert = format === 'chatgpt' ? fromChatGpt : fromClaude;
  for await (const { value } of stream.pipe(parser()).pipe(streamArray()) as AsyncIterable<{ key: number; value: unknown }>) {
    yield admitted(convert((value ?? {}) as never, agentId), maxConversationBytes);
  }
}
