import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { LoopbackServer, type LoopbackReply } from './loopback-server';

/**
 * A stand-in for the Hugging Face Hub's file endpoint,
 * GET /{owner}/{name}/resolve/{revision}/{file}, serving model directories
 * from disk: the bytes with their Content-Length (what download progress
 * is computed from), 404 for a file the model does not have.
 */
export class FakeModelHub extends LoopbackServer {
  private readonly models = new Map<string, string>();
  /** Paths asked for, in order. */
  readonly requests: string[] = [];

  /** Serves `dir` as the model `id` (owner/name). */
  add(id: string, dir: string): void {
    this.models.set(id, dir);
  }

  /** The Hub's base URL, with the trailing slash its clients expect. */
  get hubUrl(): string {
    return `${this.url}/`;
  }

  protected reply(_req: http.IncomingMessage, url: URL): LoopbackReply {
    const pathname = decodeURIComponent(url.pathname);
    this.requests.push(pathname);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(pathname);
    const dir = match && this.models.get(match[1]!);
    const file = dir && path.join(dir, match[2]!);
    if (!file || !file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return { status: 404, body: { error: 'Entry not found' } };
    const bytes = fs.readFileSync(file);
    return { status: 200, raw: bytes, headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } };
  }
}
