import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackReply {
  status: number;
  /** Sent as JSON, unless raw is given. */
  body?: unknown;
  /** Sent as is (JSON Lines, say, or a file's bytes). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * The HTTP plumbing the provider stand-ins share: listen on a free loopback
 * port, parse JSON bodies, answer with whatever the subclass decides.
 */
export abstract class LoopbackServer {
  private server: http.Server | null = null;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url = '';

  /** Per request, in order: how long its answer waits first (a slow provider); then no wait. */
  readonly delays: number[] = [];

  protected abstract reply(req: http.IncomingMessage, url: URL, body: any, raw: string): LoopbackReply;

  /** On a free port of 127.0.0.1 unless told (another loopback address, the same port as another server). */
  async start(host = '127.0.0.1', port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const reply = this.reply(req, new URL(req.url ?? '/', 'http://localhost'), raw ? JSON.parse(raw) : undefined, raw);
        setTimeout(() => {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.raw ?? JSON.stringify(reply.body));
        }, this.delays.shift() ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
