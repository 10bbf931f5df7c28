import OpenAI from 'openai';
import { MnemoError } from '@mnemo/core';
import type { Embedder } from '../types';

export interface HostedEmbedderOptions {
  /** voyage or openai: shown in logs and job results. */
  name: string;
  /** Base URL of an OpenAI-compatible API, e.g. https://api.voyageai.com/v1. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** Known vector size; when absent, one probe request at start-up finds it. */
  dimension?: number;
  /** Inputs per request; providers cap it (Voyage 1,000, OpenAI 2,048). */
  batchSize: number;
  maxRetries: number;
  timeoutMs: number;
  /**
   * Extra request fields per purpose: Voyage embeds documents and queries
   * differently (input_type) and can shorten vectors (output_dimension).
   */
  extraBody?: (purpose: 'document' | 'query') => Record<string, unknown>;
}

/** HTTP statuses a retry cannot fix: the job fails at once with the provider's message. */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 422]);

/**
 * Embeddings from a hosted model over the OpenAI embeddings wire format,
 * which both OpenAI-compatible servers and Voyage speak. The official client
 * retries 429 and 5xx answers with backoff, honouring retry-after.
 */
export class HostedEmbedder implements Embedder {
  readonly name: string;
  private readonly client: OpenAI;
  private size: number | undefined;

  private constructor(private readonly options: HostedEmbedderOptions) {
    this.name = options.name;
    this.size = options.dimension;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL.replace(/\/embeddings\/?$/, ''),
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs,
    });
  }

  /** Creates the embedder; without a configured dimension, asks the provider once. */
  static async create(options: HostedEmbedderOptions): Promise<HostedEmbedder> {
    const embedder = new HostedEmbedder(options);
    if (embedder.size === undefined) {
      const [probe] = await embedder.embed(['dimension probe'], 'document');
      embedder.size = probe!.length;
    }
    return embedder;
  }

  get dimension(): number {
    if (this.size === undefined) throw new Error(`${this.name} embedder used before its dimension is known`);
    return this.size;
  }

  async embed(texts: string[], purpose: 'document' | 'query'): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.options.batchSize) {
      vectors.push(...(await this.embedBatch(texts.slice(start, start + this.options.batchSize), purpose)));
    }
    return vectors;
  }

  private async embedBatch(input: string[], purpose: 'document' | 'query'): Promise<number[][]> {
    let response: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      // Extra fields (input_type, output_dimension) travel in the JSON body as they are.
      const body = { model: this.options.model, input, encoding_format: 'float', ...this.options.extraBody?.(purpose) };
      response = await this.client.embeddings.create(body as OpenAI.Embeddings.EmbeddingCreateParams);
    } catch (err) {
      if (err instanceof OpenAI.APIError && err.status !== undefined && FINAL_STATUSES.has(err.status)) {
        throw new MnemoError('PROCESSING_ERROR', `${this.name} embeddings refused the request (${err.status}): ${err.message}`, undefined, {
          cause: err,
        });
      }
      throw err;
    }
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    if (vectors.length !== input.length) {
      throw new Error(`${this.name} embeddings returned ${vectors.length} vectors for ${input.length} inputs`);
    }
    const wrong = vectors.find((v) => this.size !== undefined && v.length !== this.size);
    if (wrong) {
      // Mixing sizes would corrupt search; a changed model or dimension needs a new store.
      throw new MnemoError(
        'PROCESSING_ERROR',
        `${this.name} embeddings returned ${wrong.length}-dimensional vectors, but the store expects ${this.size}`,
      );
    }
    return vectors;
  }
}
