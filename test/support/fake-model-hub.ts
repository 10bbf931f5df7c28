import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A stand-in for the Hugging Face Hub's file endpoint,
 * GET /{owner}/{name}/resolve/{revision}/{file}, serving model directories
 * from disk: the bytes with their Content-Length (what download progress
 * is computed from), 404 for a file the model does not have.
 */
export class FakeModelHub {
  private server: http.Server | null = null;
  private readonly models = new Map<string, string>();
  url = '';
  /** Paths asked for, in order. */
  readonly requests: string[] = [];

  /** Serves `dir` as the model `id` (owner/name). */
  add(id: string, dir: string): void {
    this.models.set(id, dir);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      this.requests.push(pathname);
      const match = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(pathname);
      const dir = match && this.models.get(match[1]!);
      const file = dir && path.join(dir, match[2]!);
      if (!file || !file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Entry not found' }));
        return;
      }
      const bytes = fs.readFileSync(file);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
      if (req.method === 'HEAD') res.end();
      else res.end(bytes);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
