import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runImport } from './importer';

const quiet = { start: () => undefined, update: () => undefined, stop: () => undefined };

// Issue 13, High 3 (the importer): a batch of large conversations went out as one request over the API's batch body bound.
describe('runImport', () => {
  it('refuses a conversation over --max-conversation-bytes itself and sends the others', async () => {
    const sent: string[] = [];
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const { conversations } = JSON.parse(raw) as { conversations: { thread_id: string }[] };
        sent.push(...conversations.map((c) => c.thread_id));
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: conversations.length, duplicates: 0, rejected: [], jobs: conversations.map((_, index) => ({ index, job_id: `ik-${index}`, duplicate: false })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-importer-'));
    try {
      const file = path.join(dir, 'mixed.jsonl');
      const line = (thread: string, size: number) => JSON.stringify({ messages: [{ role: 'user', content: 'y'.repeat(size) }], agent_id: 'a', thread_id: thread, source: 's' });
      fs.writeFileSync(file, [line('small-1', 100), line('too-big', 5_000), line('small-2', 100)].join('\n'));
      const report = await runImport({
        target: file,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        key: 'k',
        agentId: 'import',
        concurrency: 1,
        batchSize: 100,
        wait: false,
        dryRun: false,
        stateDir: path.join(dir, 'state'),
        progress: quiet,
        signal: new AbortController().signal,
        maxConversationBytes: 2_000,
      });
      expect(report).toMatchObject({ accepted: 2, rejected: 1 });
      expect(sent).toEqual(['small-1', 'small-2']);
      expect(fs.readFileSync(report.rejected_file!, 'utf8')).toMatch(/limit is 2000 bytes/);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every request under the batch byte bound, however many conversations it holds', async () => {
    const sizes: number[] = [];
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        sizes.push(Buffer.byteLength(raw));
        const { conversations } = JSON.parse(raw) as { conversations: unknown[] };
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: conversations.length, duplicates: 0, rejected: [], jobs: conversations.map((_, index) => ({ index, job_id: `ik-${sizes.length}-${index}`, duplicate: false })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-importer-'));
    try {
      const file = path.join(dir, 'big.jsonl');
      const line = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `fact ${i} ${'x'.repeat(40_000)}` }], agent_id: 'a', thread_id: `t${i}`, source: 's' });
      fs.writeFileSync(file, Array.from({ length: 10 }, (_, i) => line(i)).join('\n'));
      const report = await runImport({
        target: file,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        key: 'k',
        agentId: 'import',
        concurrency: 1,
        batchSize: 100,
        wait: false,
        dryRun: false,
        stateDir: path.join(dir, 'state'),
        progress: quiet,
        signal: new AbortController().signal,
        maxBatchBytes: 100_000,
      });
      expect(report.accepted).toBe(10);
      expect(sizes.length).toBeGreaterThanOrEqual(4);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(100_000 + 1_000);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
