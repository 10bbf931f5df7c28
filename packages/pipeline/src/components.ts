import { buildTaxonomy, type Config } from '@mnemo/core';
import { ClaudeBatches } from './claude/claude-batches';
import { ClaudeBioWriter } from './claude/claude-bio-writer';
import type { BioWriter } from './profile/build-profile';
import { ClaudeExtractor } from './claude/claude-extractor';
import { ClaudeReconciler } from './claude/claude-reconciler';
import { ProposedCategorizer } from './claude/proposed-categorizer';
import { ProposedClassifier } from './claude/proposed-classifier';
import { HostedEmbedder } from './embedders/hosted-embedder';
import { LocalEmbedder } from './embedders/local-embedder';
import { OnnxEmbedder } from './embedders/onnx/onnx-embedder';
import { WordVectorEmbedder } from './embedders/word-vector-embedder';
import { loadWordVectors } from './embedders/word-vectors';
import { OfflineCategorizer } from './offline/offline-categorizer';
import { OfflineClassifier } from './offline/offline-classifier';
import { OfflineExtractor } from './offline/offline-extractor';
import { OfflineReconciler } from './reconcile/offline-reconciler';
import { OpenAiCompatibleBioWriter } from './openai-compatible/openai-compatible-bio-writer';
import { OpenAiCompatibleExtractor } from './openai-compatible/openai-compatible-extractor';
import { OpenAiCompatibleReconciler } from './openai-compatible/openai-compatible-reconciler';
import { StructuredChat } from './openai-compatible/structured-chat';
import type { OnnxModelSettings } from './embedders/onnx/model-source';
import type { Embedder, FactCategorizer, FactClassifier, FactExtractor, Reconciler } from './types';

/** Where the onnx embedder's model comes from, as the config says. */
export function onnxModelSettings(config: Config): OnnxModelSettings {
  return {
    model: config.MNEMO_EMBEDDING_MODEL,
    modelPath: config.MNEMO_EMBEDDING_MODEL_PATH,
    dtype: config.MNEMO_EMBEDDING_DTYPE,
    pooling: config.MNEMO_EMBEDDING_POOLING,
    modelsDir: config.MNEMO_MODELS_DIR,
    hubUrl: config.MNEMO_MODEL_HUB_URL,
    downloads: config.MNEMO_MODEL_DOWNLOADS,
  };
}

/**
 * The embedder named by MNEMO_EMBEDDER; a hosted one may ask its provider
 * for the vector size, the onnx one loads its model (`onProgress` follows
 * a first download).
 */
export async function createEmbedder(config: Config, onProgress?: (loaded: number, total: number) => void): Promise<Embedder> {
  const common = {
    batchSize: config.MNEMO_EMBEDDINGS_BATCH_SIZE,
    maxRetries: config.MNEMO_EMBEDDINGS_MAX_RETRIES,
    timeoutMs: config.MNEMO_EMBEDDINGS_TIMEOUT_MS,
  };
  switch (config.MNEMO_EMBEDDER) {
    case 'words':
      return new WordVectorEmbedder(loadWordVectors(config.MNEMO_WORD_VECTORS_CACHE_DIR));
    case 'hashing':
      return new LocalEmbedder(config.MNEMO_EMBEDDING_DIM);
    case 'onnx':
      return OnnxEmbedder.create({ ...onnxModelSettings(config), batchSize: config.MNEMO_EMBEDDINGS_BATCH_SIZE, queryPrefix: config.MNEMO_EMBEDDING_QUERY_PREFIX, documentPrefix: config.MNEMO_EMBEDDING_DOCUMENT_PREFIX, onProgress });
    case 'voyage':
      return HostedEmbedder.create({
        ...common,
        name: 'voyage',
        baseURL: config.VOYAGE_BASE_URL,
        apiKey: config.VOYAGE_API_KEY!,
        model: config.VOYAGE_MODEL,
        dimension: config.VOYAGE_OUTPUT_DIMENSION,
        extraBody: (purpose) => ({
          input_type: purpose,
          ...(config.VOYAGE_OUTPUT_DIMENSION ? { output_dimension: config.VOYAGE_OUTPUT_DIMENSION } : {}),
        }),
      });
    case 'openai':
      return HostedEmbedder.create({
        ...common,
        name: 'openai',
        baseURL: config.MNEMO_EMBEDDINGS_URL!,
        // Self-hosted servers often need no key, but the client insists on one.
        apiKey: config.MNEMO_EMBEDDINGS_API_KEY ?? 'none',
        model: config.MNEMO_EMBEDDINGS_MODEL!,
        dimension: config.MNEMO_EMBEDDINGS_DIM,
      });
  }
}

/** Extraction, classification, categorisation and reconciliation as MNEMO_EXTRACTOR selects. */
export function createExtraction(
  config: Config,
  hooks: { throttle?: () => Promise<void> } = {},
): {
  extractor: FactExtractor;
  classifier: FactClassifier;
  categorizer: FactCategorizer;
  reconciler: Reconciler;
  /** Message Batches client, with the Claude extractor. */
  batches?: ClaudeBatches;
} {
  const offline = {
    extractor: new OfflineExtractor(),
    classifier: new OfflineClassifier(),
    categorizer: new OfflineCategorizer(config.MNEMO_CUSTOM_CATEGORIES, loadWordVectors(config.MNEMO_WORD_VECTORS_CACHE_DIR)),
    reconciler: new OfflineReconciler(),
  };
  switch (config.MNEMO_EXTRACTOR) {
    case 'offline':
      return offline;
    case 'openai-compatible': {
      const taxonomy = buildTaxonomy(config.MNEMO_CUSTOM_CATEGORIES);
      const chat = modelServer(config, hooks);
      return {
        extractor: new OpenAiCompatibleExtractor(chat, taxonomy),
        classifier: new ProposedClassifier(offline.classifier),
        categorizer: new ProposedCategorizer(offline.categorizer, new Set(taxonomy.map((c) => c.name))),
        reconciler: new OpenAiCompatibleReconciler(chat),
      };
    }
    case 'claude': {
      const taxonomy = buildTaxonomy(config.MNEMO_CUSTOM_CATEGORIES);
      const connection = { apiKey: config.ANTHROPIC_API_KEY!, baseURL: config.ANTHROPIC_BASE_URL, timeoutMs: config.MNEMO_CLAUDE_TIMEOUT_MS };
      const extractor = new ClaudeExtractor({
        ...connection,
        model: config.MNEMO_CLAUDE_MODEL,
        maxTokens: config.MNEMO_CLAUDE_MAX_TOKENS,
        taxonomy,
        throttle: hooks.throttle,
      });
      return {
        extractor,
        batches: new ClaudeBatches(extractor, connection),
        // Claude decides type and categories in the same call; the offline rules cover any gap.
        classifier: new ProposedClassifier(offline.classifier),
        categorizer: new ProposedCategorizer(offline.categorizer, new Set(taxonomy.map((c) => c.name))),
        // Batch mode makes no synchronous model call: its jobs reconcile by the offline rules.
        reconciler:
          config.MNEMO_LLM_MODE === 'batch'
            ? offline.reconciler
            : new ClaudeReconciler({ ...connection, model: config.MNEMO_CLAUDE_MODEL, throttle: hooks.throttle }),
      };
    }
  }
}

/** The OpenAI-compatible server MNEMO_LLM_* names (auto mode's step-down is remembered per instance). */
function modelServer(config: Config, hooks: { throttle?: () => Promise<void> }): StructuredChat {
  return new StructuredChat({
    baseURL: config.MNEMO_LLM_BASE_URL,
    apiKey: config.MNEMO_LLM_API_KEY,
    model: config.MNEMO_LLM_MODEL,
    timeoutMs: config.MNEMO_LLM_TIMEOUT_MS,
    maxTokens: config.MNEMO_LLM_MAX_TOKENS,
    output: config.MNEMO_LLM_OUTPUT,
    throttle: hooks.throttle,
  });
}

/** With a model extractor, profiles get a model-written bio; offline, none (the bio is assembled). */
export function createBioWriter(config: Config, hooks: { throttle?: () => Promise<void> } = {}): BioWriter | undefined {
  if (config.MNEMO_EXTRACTOR === 'offline') return undefined;
  if (config.MNEMO_EXTRACTOR === 'openai-compatible') return new OpenAiCompatibleBioWriter(modelServer(config, hooks));
  return new ClaudeBioWriter({
    apiKey: config.ANTHROPIC_API_KEY!,
    baseURL: config.ANTHROPIC_BASE_URL,
    model: config.MNEMO_CLAUDE_MODEL,
    timeoutMs: config.MNEMO_CLAUDE_TIMEOUT_MS,
    throttle: hooks.throttle,
  });
}

/** What start-up logs say about the models in use: which extractor (and model) and which embedder, with its vector size. */
export function modelsInUse(config: Config, embedder: Embedder): Record<string, string | number> {
  const model = { offline: null, claude: config.MNEMO_CLAUDE_MODEL, 'openai-compatible': `${config.MNEMO_LLM_MODEL} at ${config.MNEMO_LLM_BASE_URL}` }[config.MNEMO_EXTRACTOR];
  const pooling = embedder instanceof OnnxEmbedder ? embedder.pooling : undefined;
  return {
    extractor: config.MNEMO_EXTRACTOR,
    ...(model && { extraction_model: model }),
    embedder: embedder.name,
    vector_size: embedder.dimension,
    ...(pooling && { embedding_pooling: `${pooling.pooling}${pooling.normalize ? ', normalised' : ''} (${pooling.source === 'model' ? "the model's own" : pooling.source === 'setting' ? 'MNEMO_EMBEDDING_POOLING' : 'default: the model names none'})` }),
  };
}
