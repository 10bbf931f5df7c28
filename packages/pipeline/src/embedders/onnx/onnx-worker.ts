/**
 * Worker thread of the onnx embedder: loads the model once, then answers
 * embedding requests, so tokenising and inference (tens of milliseconds a
 * batch) never block the event loop that renews the worker's job locks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as Transformers from '@huggingface/transformers' with { 'resolution-mode': 'require' };
import type { ToWorker, FromWorker, WorkerSettings } from './worker-messages';

type FeatureExtractionPipeline = Transformers.FeatureExtractionPipeline;
// The package is ESM-typed but ships a CommonJS build, which this CommonJS file loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { env, pipeline } = require('@huggingface/transformers') as typeof Transformers;

const settings = workerData as WorkerSettings;
const port = parentPort!;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function load(): Promise<FeatureExtractionPipeline> {
  env.cacheDir = settings.cacheDir;
  env.remoteHost = settings.hubUrl.endsWith('/') ? settings.hubUrl : `${settings.hubUrl}/`;
  env.allowRemoteModels = settings.downloads;
  // A Hub id is looked up in the cache, not in the library's own models folder.
  env.localModelPath = settings.cacheDir;
  let last = 0;
  return (await pipeline('feature-extraction', settings.ref, {
    dtype: settings.dtype as 'fp32',
    device: 'cpu',
    progress_callback: (info: Transformers.ProgressInfo) => {
      if (info.status !== 'progress_total') return;
      // Progress comes per chunk read; a few updates a second are enough for a bar.
      const now = Date.now();
      if (now - last < 200 && info.loaded < info.total) return;
      last = now;
      send({ type: 'progress', loaded: info.loaded, total: info.total });
    },
  })) as FeatureExtractionPipeline;
}

async function embed(extractor: FeatureExtractionPipeline, texts: string[]): Promise<{ data: Float32Array; dimension: number }> {
  const output = await extractor(texts, { pooling: settings.pooling, normalize: settings.normalize });
  const dimension = output.dims[output.dims.length - 1]!;
  // A copy the worker owns, so its buffer can be handed over rather than cloned.
  return { data: Float32Array.from(output.data as Float32Array), dimension };
}

async function main(): Promise<void> {
  let extractor: FeatureExtractionPipeline;
  try {
    extractor = await load();
    // The vector size is the model's: found by embedding one text, never configured.
    const probe = await embed(extractor, ['vector size']);
    send({ type: 'ready', dimension: probe.dimension });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    return;
  }
  port.on('message', (request: ToWorker) => {
    embed(extractor, request.texts).then(
      ({ data, dimension }) => send({ type: 'vectors', id: request.id, data, dimension }, [data.buffer as ArrayBuffer]),
      (err: unknown) => send({ type: 'error', id: request.id, message: (err as Error).message }),
    );
  });
}

void main();
