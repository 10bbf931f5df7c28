import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { admitted, readFile } from './sources';

const body = (content: string) => ({ messages: [{ role: 'user' as const, content }], agent_id: 'a', thread_id: 't', source: 's', idempotency_key: 'import:jsonl:1' });

describe('what the importer sends', () => {
  // Issue 13, Medium 7 (the importer): lone surrogates reached the API and lost the conversation.
  it('reads lone surrogates of an export as U+FFFD, in text and ids', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-sources-'));
    try {
      const file = path.join(dir, 'c.jsonl');
      fs.writeFileSync(file, '{"messages":[{"role":"user","content":"I live in Lisbon \\ud800 and I like tea."}],"agent_id":"a\\udc00","thread_id":"t","source":"s"}\n');
      const items = [];
      for await (const item of readFile(file, 'jsonl', 'import')) items.push(item);
      expect(items).toEqual([expect.objectContaining({ agent_id: 'a\uFFFD', messages: [{ role: 'user', content: 'I live in Lisbon \uFFFD and I like tea.' }] })]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Issue 13, High 3 (the importer): the same byte bound as the API, checked before anything is sent.
  it('refuses a conversation over the byte bound the API holds every conversation to', () => {
    expect(admitted(body('x'.repeat(1_100_000)))).toEqual({ invalid: expect.stringMatching(/limit is 1048576 bytes/), sourceId: 'import:jsonl:1' });
    expect(admitted(body('small'))).toEqual(body('small'));
  });
});
