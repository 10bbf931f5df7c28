import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Embedder } from '../../types';
import { ModelSource, type OnnxModelSettings } from './model-source';
import type { SentencePooling } from './sentence-pooling';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-messages';

export interface OnnxEmbedderOptions extends OnnxModelSettings {
  batchSize: number;
  queryPrefix: string;
  documentPrefix: string;
  /** Bytes fetched so far while a model downloads. */
  onProgress?: (loaded: number, total: number) => void;
}

/**
 * The compiled worker. Under ts-jest this file runs from src/, where there
 * is no JavaScript to start a thread from, so the build's copy is used.
 */
function workerFile(): string {
  const beside = path.join(__dirname, 'onnx-worker.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '../../../dist/embedders/onnx/onnx-worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the onnx embedder's worker is not built (${built}): run "npm run build"`);
}

interface Pending {
  resolve: (vectors: number[][]) => void;
  reject: (err: Error) => void;
}

/**
 * A sentence-embedding model run in-process on CPU by
 * @huggingface/transformers (onnxruntime-node), in a worker thread. The
 * vector size, pooling and normalisation are the model's own.
 */
export class OnnxEmbedder implements Embedder {
  readonly name: string;
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(
    private readonly options: OnnxEmbedderOptions,
    private readonly source: ModelSource,
    readonly pooling: SentencePooling,
    readonly dimension: number,
    worker: Worker,
  ) {
    this.name = source.embedderName;
    this.adopt(worker);
  }

  /** Loads the model (fetching it first where allowed) and finds its vector size. */
  static async create(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const source = new ModelSource(options);
    source.checkLocal();
    if (!source.isLocal && !options.downloads && !fs.existsSync(path.join(source.cacheDir, source.ref, 'config.json'))) throw source.notPulled();
    const pooling = await source.pooling();
    const { worker, dimension } = await OnnxEmbedder.start(source, pooling, options.onProgress);
    return new OnnxEmbedder(options, source, pooling, dimension, worker);
  }

  private static start(source: ModelSource, pooling: SentencePooling, onProgress?: (loaded: number, total: number) => void): Promise<{ worker: Worker; dimension: number }> {
    const settings: WorkerSettings = {
      ref: source.ref,
      cacheDir: source.cacheDir,
      hubUrl: source.settings.hubUrl,
      downloads: source.settings.downloads,
      dtype: source.settings.dtype,
      pooling: pooling.pooling,
      normalize: pooling.normalize,
    };
    const worker = new Worker(workerFile(), { workerData: settings });
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'progress') onProgress?.(message.loaded, message.total);
        else if (message.type === 'ready') done(() => resolve({ worker, dimension: message.dimension }));
        else if (message.type === 'failed') {
          done(() => reject(new Error(`the onnx embedder could not load ${source.ref}: ${message.message}`)));
          void worker.terminate();
        }
      };
      const onError = (err: Error) => done(() => reject(new Error(`the onnx embedder's worker failed while loading ${source.ref}: ${err.message}`)));
      const onExit = (code: number) => done(() => reject(new Error(`the onnx embedder's worker exited (code ${code}) while loading ${source.ref}`)));
      const done = (settle: () => void) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        settle();
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    // An idle worker must not keep a finished process (a CLI command) alive; one with work in flight must.
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if (message.type !== 'vectors' && message.type !== 'error') return;
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.type === 'error') request.reject(new Error(`onnx embedding failed: ${message.message}`));
      else request.resolve(rows(message.data, message.dimension));
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      // Everything in flight fails (the stage retries it); the next call starts a new thread.
      for (const request of this.pending.values()) request.reject(new Error(`the onnx embedder's worker ${why}`));
      this.pending.clear();
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (code ${code})`));
  }

  private async live(): Promise<Worker> {
    if (this.worker) return this.worker;
    this.starting ??= OnnxEmbedder.start(this.source, this.pooling)
      .then(({ worker }) => {
        this.adopt(worker);
        return worker;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  async embed(texts: string[], purpose: 'document' | 'query'): Promise<number[][]> {
    const prefix = purpose === 'query' ? this.options.queryPrefix : this.options.documentPrefix;
    const inputs = prefix ? texts.map((t) => prefix + t) : texts;
    const out: number[][] = [];
    for (let i = 0; i < inputs.length; i += this.options.batchSize) {
      out.push(...(await this.request(inputs.slice(i, i + this.options.batchSize))));
    }
    return out;
  }

  private async request(texts: string[]): Promise<number[][]> {
    const worker = await this.live();
    const id = this.nextId++;
    return new Promise<number[][]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, texts } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const request of this.pending.values()) request.reject(new Error('the onnx embedder was closed'));
    this.pending.clear();
    await worker?.terminate();
  }
}

function rows(data: Float32Array, dimension: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += dimension) out.push(Array.from(data.subarray(i, i + dimension)));
  return out;
}
