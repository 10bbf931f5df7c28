import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalEmbedder } from '@mnemo/pipeline';

/**
 * A loopback embeddings API in the OpenAI wire format (which Voyage also
 * speaks). Vectors come from the local embedder, so search still ranks by
 * meaning; scripted answers (errors, 429 with retry-after, wrong sizes) are
 * served first, in order. Every request is recorded.
 */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer with vectors of this size instead. */
  dimension?: number;
}

export interface RecordedEmbeddingRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: { model: string; input: string[]; input_type?: string; output_dimension?: number; [key: string]: unknown };
}

export class FakeEmbeddings {
  readonly requests: RecordedEmbeddingRequest[] = [];
  readonly script: ScriptedAnswer[] = [];
  private server: http.Server | null = null;
  url = '';

  constructor(private readonly dimension: number) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        this.requests.push({ path: req.url ?? '', headers: req.headers, body });
        const scripted = this.script.shift();
        if (scripted && scripted.status !== 200) {
          res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
          res.end(JSON.stringify(scripted.body ?? { error: { message: `scripted ${scripted.status}` } }));
          return;
        }
        const size = scripted?.dimension ?? body.output_dimension ?? this.dimension;
        const embedder = new LocalEmbedder(size);
        const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            // Reversed on purpose: clients must order by index, not by position.
            data: input.map((text, index) => ({ object: 'embedding', index, embedding: embedder.embedOne(text) })).reverse(),
            model: body.model,
            usage: { prompt_tokens: input.length, total_tokens: input.length },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
