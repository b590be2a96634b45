import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StoreError } from './errors.js';
import { MEMORY_FLAG_STORE_TYPE, MemoryFlagStore } from './flag-store-memory.js';
import { SQLITE_FLAG_STORE_TYPE, SqliteFlagStore } from './flag-store-sqlite.js';
import type { FlagStore } from './flag-store.js';

export type FlagStoreConfig = { type: 'sqlite'; path: string } | { type: 'memory' };

const TYPES = [SQLITE_FLAG_STORE_TYPE, MEMORY_FLAG_STORE_TYPE];

/** Opens the flag store a server uses (the same SQLite file as the rollouts); an unknown type is an error. */
export function createFlagStore(config: FlagStoreConfig): FlagStore {
  const type = (config as { type?: unknown } | null | undefined)?.type;
  switch (type) {
    case SQLITE_FLAG_STORE_TYPE: {
      const { path } = config as { path?: unknown };
      if (typeof path !== 'string' || path === '') {
        throw new StoreError('SLUICE_STORE_INVALID_ARGUMENT', 'the flag store path must name the SQLite database file, e.g. ".sluice/sluice.db"');
      }
      if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      return new SqliteFlagStore(path);
    }
    case MEMORY_FLAG_STORE_TYPE:
      return new MemoryFlagStore();
    default:
      throw new StoreError('SLUICE_STORE_UNKNOWN_TYPE', `Unknown flag store type ${JSON.stringify(type)}; use one of: ${TYPES.join(', ')}.`);
  }
}
