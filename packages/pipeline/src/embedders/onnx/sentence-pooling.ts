/** How token vectors become one sentence vector. */
export interface SentencePooling {
  pooling: 'mean' | 'cls';
  normalize: boolean;
  /** Where the choice came from, for the start-up log. */
  source: 'model' | 'default' | 'setting';
}

/** The sentence-transformers files that describe a model's pooling; absent ones are undefined. */
export interface PoolingFiles {
  /** modules.json: the model's module list (Transformer, Pooling, Normalize…). */
  modules?: unknown;
  /** 1_Pooling/config.json (or wherever modules.json puts the Pooling module). */
  pooling?: unknown;
}

interface ModuleEntry {
  path?: string;
  type?: string;
}

const isModuleList = (value: unknown): value is ModuleEntry[] => Array.isArray(value) && value.every((m) => typeof m === 'object' && m !== null);

/** Where modules.json says the Pooling module's config lives (1_Pooling by convention). */
export function poolingConfigPath(modules: unknown): string {
  const entry = isModuleList(modules) ? modules.find((m) => m.type?.endsWith('.Pooling')) : undefined;
  return `${entry?.path || '1_Pooling'}/config.json`;
}

/**
 * The pooling a model was trained with, from its own sentence-transformers
 * files. A model without them (many ONNX exports carry only the
 * transformer) gets mean pooling, normalised: what most sentence-embedding
 * models use, and what cosine search assumes. A setting other than `auto`
 * overrides the pooling mode; normalisation still follows the model.
 */
export function sentencePooling(files: PoolingFiles, setting: 'auto' | 'mean' | 'cls'): SentencePooling {
  const modules = isModuleList(files.modules) ? files.modules : undefined;
  const normalize = modules ? modules.some((m) => m.type?.endsWith('.Normalize')) : true;
  if (setting !== 'auto') return { pooling: setting, normalize, source: 'setting' };
  if (!modules || files.pooling === undefined) return { pooling: 'mean', normalize, source: 'default' };

  const modes = files.pooling as Record<string, unknown>;
  const on = Object.keys(modes).filter((key) => key.startsWith('pooling_mode_') && modes[key] === true);
  if (on.length === 1 && on[0] === 'pooling_mode_mean_tokens') return { pooling: 'mean', normalize, source: 'model' };
  if (on.length === 1 && on[0] === 'pooling_mode_cls_token') return { pooling: 'cls', normalize, source: 'model' };
  throw new Error(
    `the model pools with ${on.join(' + ') || 'no mode'}; the onnx embedder supports mean or cls pooling: ` +
      'set MNEMO_EMBEDDING_POOLING=mean or cls to choose one, knowing the vectors will differ from the model\'s own',
  );
}
