export { LocalEmbedder } from './embedders/local-embedder';
export { OfflineCategorizer, categoriesOf } from './offline/offline-categorizer';
export { OfflineClassifier } from './offline/offline-classifier';
export { OfflineExtractor } from './offline/offline-extractor';
export * from './pipeline';
export * from './runner';
export { analyze } from './stages/analyze';
export * from './types';
export * from './components';
