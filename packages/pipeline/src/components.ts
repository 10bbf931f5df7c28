import type { Config } from '@mnemo/core';
import { LocalEmbedder } from './embedders/local-embedder';
import { OfflineCategorizer } from './offline/offline-categorizer';
import { OfflineClassifier } from './offline/offline-classifier';
import { OfflineExtractor } from './offline/offline-extractor';
import type { Embedder, FactCategorizer, FactClassifier, FactExtractor } from './types';

/** The embedder named by MNEMO_EMBEDDER. */
export function createEmbedder(config: Config): Embedder {
  switch (config.MNEMO_EMBEDDER) {
    case 'local':
      return new LocalEmbedder(config.MNEMO_EMBEDDING_DIM);
  }
}

/** Extraction, classification and categorisation as MNEMO_EXTRACTOR selects. */
export function createExtraction(config: Config): {
  extractor: FactExtractor;
  classifier: FactClassifier;
  categorizer: FactCategorizer;
} {
  switch (config.MNEMO_EXTRACTOR) {
    case 'offline':
      return { extractor: new OfflineExtractor(), classifier: new OfflineClassifier(), categorizer: new OfflineCategorizer(config.MNEMO_CUSTOM_CATEGORIES) };
  }
}
