import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Messages API (POST /v1/messages) that answers from a script:
 * tool calls with given input, errors with status and headers, truncated
 * answers. Every request is recorded with its headers and body.
 */
export type ScriptedReply =
  | { toolInput: unknown; stopReason?: 'tool_use' | 'max_tokens' }
  | { status: number; errorType: string; message: string; headers?: Record<string, string> };

export interface RecordedMessageRequest {
  headers: http.IncomingHttpHeaders;
  body: any;
}

export class FakeAnthropic {
  readonly requests: RecordedMessageRequest[] = [];
  readonly script: ScriptedReply[] = [];
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        this.requests.push({ headers: req.headers, body });
        const n = this.requests.length;
        const reply = this.script.shift() ?? { toolInput: { facts: [] } };
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(JSON.stringify({ type: 'error', error: { type: reply.errorType, message: reply.message } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `msg_${n}`,
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'tool_use', id: `toolu_${n}`, name: body.tool_choice?.name ?? 'tool', input: reply.toolInput }],
            stop_reason: reply.stopReason ?? 'tool_use',
            stop_sequence: null,
            // The first call writes the prompt cache, later ones read it.
            usage: {
              input_tokens: 350,
              output_tokens: 120,
              cache_creation_input_tokens: n === 1 ? 1100 : 0,
              cache_read_input_tokens: n === 1 ? 0 : 1100,
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
