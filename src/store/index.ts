import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StoreError } from './errors.js';
import { MEMORY_STORE_TYPE, MemoryStore } from './memory.js';
import { SQLITE_STORE_TYPE, SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export type { Store, RolloutRecord, StoredEvent } from './store.js';
export { StoreError, StoreConflictError, type StoreErrorCode } from './errors.js';
export { MemoryStore, MEMORY_STORE_TYPE } from './memory.js';
export { SqliteStore, SQLITE_STORE_TYPE } from './sqlite.js';
export { LATEST_SCHEMA_VERSION } from './migrations.js';

export type StoreConfig = { type: 'sqlite'; path: string } | { type: 'memory' };

const TYPES = [SQLITE_STORE_TYPE, MEMORY_STORE_TYPE];

/**
 * Opens the store a server config asks for. For SQLite the file's directory is
 * created if missing (`:memory:` keeps everything in RAM). An unknown type is
 * an error, never a silent fallback.
 */
export function createStore(config: StoreConfig): Store {
  const type = (config as { type?: unknown } | null | undefined)?.type;
  switch (type) {
    case SQLITE_STORE_TYPE: {
      const { path } = config as { path?: unknown };
      if (typeof path !== 'string' || path === '') {
        throw new StoreError('SLUICE_STORE_INVALID_ARGUMENT', 'store.path must name the SQLite database file, e.g. ".sluice/sluice.db".');
      }
      if (path !== ':memory:') {
        try {
          mkdirSync(dirname(resolve(path)), { recursive: true });
        } catch (err) {
          throw new StoreError('SLUICE_STORE_OPEN_FAILED', `Could not create the directory for the SQLite store ${path}: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      return new SqliteStore(path);
    }
    case MEMORY_STORE_TYPE:
      return new MemoryStore();
    default:
      throw new StoreError(
        'SLUICE_STORE_UNKNOWN_TYPE',
        `Unknown store type ${JSON.stringify(type)}; store.type must be one of: ${TYPES.join(', ')}.`,
      );
  }
}
