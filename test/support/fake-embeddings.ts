import type http from 'node:http';
import { LocalEmbedder } from '@mnemo/pipeline';
import { LoopbackServer, type LoopbackReply } from './loopback-server';

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

export class FakeEmbeddings extends LoopbackServer {
  readonly requests: RecordedEmbeddingRequest[] = [];
  readonly script: ScriptedAnswer[] = [];

  constructor(private readonly dimension: number) {
    super();
  }

  /** The OpenAI-style base URL clients are given (…/v1). */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  protected reply(req: http.IncomingMessage, url: URL, body: any): LoopbackReply {
    this.requests.push({ path: url.pathname, headers: req.headers, body });
    const scripted = this.script.shift();
    if (scripted && scripted.status !== 200) {
      return { status: scripted.status, headers: scripted.headers, body: scripted.body ?? { error: { message: `scripted ${scripted.status}` } } };
    }
    const embedder = new LocalEmbedder(scripted?.dimension ?? body.output_dimension ?? this.dimension);
    const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
    return {
      status: 200,
      body: {
        object: 'list',
        // Reversed on purpose: clients must order by index, not by position.
        data: input.map((text, index) => ({ object: 'embedding', index, embedding: embedder.embedOne(text) })).reverse(),
        model: body.model,
        usage: { prompt_tokens: input.length, total_tokens: input.length },
      },
    };
  }
}
