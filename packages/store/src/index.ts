export * from './memory-store';
export { SqliteMemoryStore } from './sqlite-store';
export { openMemoryStore, openVectorRebuild } from './open-store';
export { QdrantMemoryStore, type QdrantStoreOptions } from './qdrant-store';
export { describeMemoryStore, destroyMemoryStore } from './destroy-store';
