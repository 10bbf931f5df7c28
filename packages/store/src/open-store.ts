import type { Config } from '@mnemo/core';
import type { MemoryStore } from './memory-store';
import { SqliteMemoryStore } from './sqlite-store';

/** Picks the store adapter named by MNEMO_STORE. */
export async function openMemoryStore(config: Config, dimension: number): Promise<MemoryStore> {
  switch (config.MNEMO_STORE) {
    case 'sqlite':
      return SqliteMemoryStore.open(config.MNEMO_DATA_DIR, dimension);
  }
}
