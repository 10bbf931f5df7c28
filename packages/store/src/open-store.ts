import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '@mnemo/core';
import type { MemoryStore, VectorRebuild } from './memory-store';
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

/**
 * The store named by MNEMO_STORE, opened to re-embed it (`mnemo reembed`),
 * whatever embedder built it. Qdrant is refused: the adapter addresses its
 * collection by name, and Qdrant cannot turn an existing collection into an
 * alias of a new one without first deleting it, so there is no step that
 * switches every vector at once.
 */
export function openVectorRebuild(config: Config): VectorRebuild {
  switch (config.MNEMO_STORE) {
    case 'sqlite':
      // Opening would create an empty store: there is nothing to re-embed.
      if (!fs.existsSync(path.join(config.MNEMO_DATA_DIR, SqliteMemoryStore.FILE))) {
        throw new Error(`no memory store in MNEMO_DATA_DIR (${path.resolve(config.MNEMO_DATA_DIR)}): nothing to re-embed`);
      }
      return SqliteMemoryStore.open(config.MNEMO_DATA_DIR).rebuildVectors();
    case 'qdrant':
      throw new Error(
        'mnemo reembed works on the SQLite store only. A Qdrant collection cannot be switched to new vectors in one step: ' +
          'point MNEMO_QDRANT_COLLECTION at a new collection and import the conversations again, or keep the embedder that built it.',
      );
  }
}
