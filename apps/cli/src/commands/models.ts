import { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '@mnemo/core';
import { OnnxEmbedder, onnxModelSettings } from '@mnemo/pipeline';

/** Bytes as a person reads them. */
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A bar on a terminal; a line every few seconds elsewhere (logs, pipes, tests). */
function downloadProgress(stream: NodeJS.WriteStream, everyMs = 5_000): { update: (loaded: number, total: number) => void; stop: () => void } {
  if (stream.isTTY) {
    const bar = new SingleBar({ format: 'fetching {bar} {percentage}% | {fetched} of {size}', hideCursor: true, stream }, Presets.shades_classic);
    let started = false;
    return {
      update(loaded, total) {
        if (!started) bar.start(total, 0, { fetched: mb(0), size: mb(total) });
        started = true;
        bar.setTotal(total);
        bar.update(loaded, { fetched: mb(loaded), size: mb(total) });
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  return {
    update(loaded, total) {
      if (Date.now() - last < everyMs && loaded < total) return;
      last = Date.now();
      stream.write(`fetched ${mb(loaded)} of ${mb(total)}\n`);
    },
    stop() {
      // Nothing to clear: lines were printed as they came.
    },
  };
}

/**
 * `mnemo models pull [id]`: fetches an embedding model into MNEMO_MODELS_DIR
 * ahead of time (for hosts that will run with MNEMO_MODEL_DOWNLOADS=false,
 * or so the first start does not wait on a download), then loads it once
 * to show it works and what vectors it makes.
 */
export function modelsCommand(): Command {
  const models = new Command('models').description('embedding models for MNEMO_EMBEDDER=onnx');
  models
    .command('pull')
    .description('fetch an embedding model into MNEMO_MODELS_DIR and check that it loads')
    .argument('[model]', 'a Hub model id with ONNX weights; default: MNEMO_EMBEDDING_MODEL')
    .action(async (model: string | undefined) => {
      const config = loadConfig();
      const settings = { ...onnxModelSettings(config), model: model ?? config.MNEMO_EMBEDDING_MODEL, modelPath: undefined, downloads: true };
      process.stderr.write(`pulling ${settings.model} from ${settings.hubUrl}\n`);
      const progress = downloadProgress(process.stderr);
      let embedder: OnnxEmbedder;
      try {
        embedder = await OnnxEmbedder.create({ ...settings, batchSize: 1, queryPrefix: '', documentPrefix: '', onProgress: progress.update });
      } finally {
        progress.stop();
      }
      await embedder.close();
      const { pooling, normalize } = embedder.pooling;
      process.stderr.write(
        `${settings.model} is ready in ${config.MNEMO_MODELS_DIR ?? 'node_modules/.cache/mnemo/models'}: ` +
          `${embedder.dimension}-dimensional vectors, ${pooling} pooling${normalize ? ', normalised' : ''}. ` +
          `Use it with MNEMO_EMBEDDER=onnx${model && model !== config.MNEMO_EMBEDDING_MODEL ? ` MNEMO_EMBEDDING_MODEL=${model}` : ''}\n`,
      );
    });
  return models;
}
