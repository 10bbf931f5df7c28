import type { Config } from '@mnemo/core';
import type { MemoryStore } from './memory-store';
import { QdrantMemoryStore } from './qdrant-store';
import { SqliteMemoryStore } from './sqlite-store';

/** Picks the store adapter named by MNEMO_STORE. */
/** `embedder` names what makes the vectors: a store built by another embedder is refused. */
export async function openMemoryStore(config: Config, embedder: { name: string; dimension: number }): Promise<MemoryStore> {
  const { dimension } = embedder;
  switch (config.MNEMO_STORE) {
    case 'sqlite':
      return SqliteMemoryStore.open(config.MNEMO_DATA_DIR, dimension, embedder.name);
    case 'qdrant':
      return QdrantMemoryStore.open({
        url: config.QDRANT_URL!,
        apiKey: config.QDRANT_API_KEY,
        collection: config.MNEMO_QDRANT_COLLECTION,
        dimension,
        shardNumber: config.MNEMO_QDRANT_SHARDS,
        replicationFactor: config.MNEMO_QDRANT_REPLICATION_FACTOR,
        writeConsistencyFactor: config.MNEMO_QDRANT_WRITE_CONSISTENCY,
      });
  }
}
