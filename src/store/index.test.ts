import { describe, expect, it } from 'vitest';
import { createStore, MemoryStore, SqliteStore, type StoreConfig } from './index.js';

describe('createStore', () => {
  it('builds the store named by type', () => {
    const memory = createStore({ type: 'memory' });
    expect(memory).toBeInstanceOf(MemoryStore);
    expect(memory.type).toBe('memory');
    const sqlite = createStore({ type: 'sqlite', path: ':memory:' });
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect(sqlite.type).toBe('sqlite');
    memory.close();
    sqlite.close();
  });

  it('rejects an unknown type, naming the known ones', () => {
    expect(() => createStore({ type: 'postgress' } as unknown as StoreConfig)).toThrow(
      expect.objectContaining({ code: 'SLUICE_STORE_UNKNOWN_TYPE', message: expect.stringMatching(/"postgress".*sqlite, memory/) }),
    );
  });

  it('requires a path for sqlite', () => {
    expect(() => createStore({ type: 'sqlite' } as unknown as StoreConfig)).toThrow(
      expect.objectContaining({ code: 'SLUICE_STORE_INVALID_ARGUMENT', message: expect.stringMatching(/store\.path/) }),
    );
  });
});
