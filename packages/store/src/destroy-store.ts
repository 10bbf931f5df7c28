import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '@mnemo/core';
import type * as QdrantModule from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };
import { SqliteMemoryStore } from './sqlite-store';

/** What `destroyMemoryStore` would delete, in words for the operator. */
export function describeMemoryStore(config: Config): string {
  switch (config.MNEMO_STORE) {
    case 'sqlite':
      return `the embedded store ${path.resolve(config.MNEMO_DATA_DIR, SqliteMemoryStore.FILE)}`;
    case 'qdrant':
      return `the Qdrant collection ${config.MNEMO_QDRANT_COLLECTION} at ${config.QDRANT_URL}`;
  }
}

/**
 * Deletes every memory of the deployment: the SQLite files, or the Qdrant
 * collection (created anew, empty, at the next start). Returns whether
 * there was anything to delete.
 */
export async function destroyMemoryStore(config: Config): Promise<boolean> {
  switch (config.MNEMO_STORE) {
    case 'sqlite': {
      // The database and its write-ahead log and shared-memory files.
      const files = ['', '-wal', '-shm'].map((suffix) => path.join(config.MNEMO_DATA_DIR, SqliteMemoryStore.FILE + suffix)).filter((f) => fs.existsSync(f));
      for (const file of files) fs.rmSync(file);
      return files.length > 0;
    }
    case 'qdrant': {
      // The package ships a CommonJS build, but its type declarations are ESM-only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { QdrantClient } = require('@qdrant/js-client-rest') as typeof QdrantModule;
      const client = new QdrantClient({ url: config.QDRANT_URL!, apiKey: config.QDRANT_API_KEY });
      const { exists } = await client.collectionExists(config.MNEMO_QDRANT_COLLECTION);
      if (exists) await client.deleteCollection(config.MNEMO_QDRANT_COLLECTION);
      return exists;
    }
  }
}
