import fs from 'node:fs';
import path from 'node:path';
import { defaultCacheDir } from '../word-vectors';
import { poolingConfigPath, sentencePooling, type PoolingFiles, type SentencePooling } from './sentence-pooling';

/** The onnx embedder's settings, as the config names them. */
export interface OnnxModelSettings {
  /** A Hub model id; ignored when `modelPath` is set. */
  model: string;
  /** A local model directory, for hosts that cannot fetch. */
  modelPath?: string;
  dtype: string;
  pooling: 'auto' | 'mean' | 'cls';
  modelsDir?: string;
  hubUrl: string;
  /** Whether a model missing from the cache may be fetched. */
  downloads: boolean;
}

/**
 * Where a model's files are read from: a local directory, or a Hub id
 * whose files are cached under the models directory (the layout
 * @huggingface/transformers uses: <dir>/<owner>/<name>/<file>).
 */
export class ModelSource {
  /** What the runtime loads: an absolute directory or a Hub id. */
  readonly ref: string;
  /** The store records this, so vectors of two models are never mixed. */
  readonly embedderName: string;
  readonly cacheDir: string;

  constructor(readonly settings: OnnxModelSettings) {
    this.cacheDir = path.resolve(settings.modelsDir ?? path.join(defaultCacheDir(), 'models'));
    if (settings.modelPath) {
      this.ref = path.resolve(settings.modelPath);
      this.embedderName = `onnx:${path.basename(this.ref)}`;
    } else {
      this.ref = settings.model;
      this.embedderName = `onnx:${settings.model}`;
    }
  }

  get isLocal(): boolean {
    return this.settings.modelPath !== undefined;
  }

  /** A clear error now, rather than the runtime's own later, for a local directory that cannot be a model. */
  checkLocal(): void {
    if (!this.isLocal) return;
    for (const file of ['config.json', 'tokenizer.json']) {
      if (!fs.existsSync(path.join(this.ref, file))) {
        throw new Error(`MNEMO_EMBEDDING_MODEL_PATH (${this.ref}) holds no ${file}: it must be a model directory as on the Hub (config.json, tokenizer.json, onnx/model.onnx)`);
      }
    }
  }

  /**
   * The model's pooling and normalisation. For a Hub model the answer is
   * kept beside its cached files (mnemo-pooling.json), so every later start,
   * online or not, embeds exactly as the first did.
   */
  async pooling(): Promise<SentencePooling> {
    if (this.isLocal) {
      const modules = this.readLocal('modules.json');
      return sentencePooling({ modules, pooling: this.readLocal(poolingConfigPath(modules)) }, this.settings.pooling);
    }
    const recorded = path.join(this.cacheDir, this.ref, 'mnemo-pooling.json');
    let files: PoolingFiles;
    if (fs.existsSync(recorded)) {
      files = JSON.parse(fs.readFileSync(recorded, 'utf8')) as PoolingFiles;
    } else {
      if (!this.settings.downloads) throw this.notPulled();
      const modules = await this.fetchJson('modules.json');
      files = { modules, pooling: modules === undefined ? undefined : await this.fetchJson(poolingConfigPath(modules)) };
      fs.mkdirSync(path.dirname(recorded), { recursive: true });
      fs.writeFileSync(recorded, JSON.stringify(files, null, 2));
    }
    return sentencePooling(files, this.settings.pooling);
  }

  notPulled(): Error {
    return new Error(
      `the embedding model ${this.ref} is not in ${this.cacheDir} and MNEMO_MODEL_DOWNLOADS=false: ` +
        `run "mnemo models pull ${this.ref}" where the Hub is reachable, or point MNEMO_EMBEDDING_MODEL_PATH at a model directory`,
    );
  }

  private readLocal(file: string): unknown {
    const full = path.join(this.ref, file);
    return fs.existsSync(full) ? (JSON.parse(fs.readFileSync(full, 'utf8')) as unknown) : undefined;
  }

  /** A JSON file of the model on the Hub; undefined when the model has no such file. */
  private async fetchJson(file: string): Promise<unknown> {
    const url = new URL(`${this.ref}/resolve/main/${file}`, this.settings.hubUrl.endsWith('/') ? this.settings.hubUrl : `${this.settings.hubUrl}/`);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new Error(
        `cannot reach the model hub for ${this.ref} (${url.origin}): ${(err as Error).message}. ` +
          `Where it cannot be reached, pull the model on a host that can ("mnemo models pull ${this.ref}") and copy MNEMO_MODELS_DIR, ` +
          'or point MNEMO_EMBEDDING_MODEL_PATH at a model directory',
      );
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`the model hub answered ${res.status} for ${url.href}`);
    return (await res.json()) as unknown;
  }
}
