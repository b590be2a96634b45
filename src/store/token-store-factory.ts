import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MEMORY_TOKEN_STORE_TYPE, MemoryTokenStore } from './token-store-memory.js';
import { SQLITE_TOKEN_STORE_TYPE, SqliteTokenStore } from './token-store-sqlite.js';
import { TokenStoreError, type TokenStore } from './token-store.js';

export type TokenStoreConfig = { type: 'sqlite'; path: string } | { type: 'memory' };

const TYPES = [SQLITE_TOKEN_STORE_TYPE, MEMORY_TOKEN_STORE_TYPE];

/** Opens the token store a server uses; an unknown type is an error, never a fallback. */
export function createTokenStore(config: TokenStoreConfig): TokenStore {
  const type = (config as { type?: unknown } | null | undefined)?.type;
  switch (type) {
    case SQLITE_TOKEN_STORE_TYPE: {
      const { path } = config as { path?: unknown };
      if (typeof path !== 'string' || path === '') {
        throw new TokenStoreError('SLUICE_TOKEN_INVALID', 'the token store path must name the SQLite database file, e.g. ".sluice/sluice.db"');
      }
      if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      return new SqliteTokenStore(path);
    }
    case MEMORY_TOKEN_STORE_TYPE:
      return new MemoryTokenStore();
    default:
      throw new TokenStoreError('SLUICE_TOKEN_INVALID', `unknown token store type ${JSON.stringify(type)}; use one of: ${TYPES.join(', ')}`);
  }
}
