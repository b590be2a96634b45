import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite.js';
import { createTokenStore } from './token-store-factory.js';
import { runTokenStoreContract } from './token-store-contract.js';
import { SqliteTokenStore } from './token-store-sqlite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-tokens-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
runTokenStoreContract('sqlite file', () => new SqliteTokenStore(join(dir, `tokens-${++files}.db`)));
runTokenStoreContract('sqlite :memory:', () => new SqliteTokenStore(':memory:'));

describe('SqliteTokenStore on the rollouts database', () => {
  const hash = createHash('sha256').update('x').digest('hex');

  it('shares the file with SqliteStore, whichever opens first, and keeps tokens across reopen', () => {
    const file = join(dir, 'nested', 'sluice.db');
    const tokens = createTokenStore({ type: 'sqlite', path: file });
    const rollouts = new SqliteStore(file);
    tokens.add({ id: 'abcdef012345', name: 'admin', role: 'admin', hash, createdBy: 'sluice up' }, 5);
    expect(rollouts.listRollouts()).toEqual([]);
    tokens.close();
    rollouts.close();
    const again = new SqliteTokenStore(file);
    expect(again.get('abcdef012345')).toMatchObject({ name: 'admin', role: 'admin', hash, createdAt: 5 });
    again.close();
  });

  it('stores only the hash it was given', () => {
    const file = join(dir, 'h.db');
    const tokens = new SqliteTokenStore(file);
    tokens.add({ id: '0123456789ab', name: 'ci', role: 'operator', hash, createdBy: 'admin' }, 1);
    tokens.close();
    const raw = new SqliteStore(file); // reopen through the other store: the schema is one
    raw.close();
    const reopened = new SqliteTokenStore(file);
    expect(Object.keys(reopened.get('0123456789ab')!).sort()).toEqual(['createdAt', 'createdBy', 'hash', 'id', 'name', 'role']);
    reopened.close();
  });

  it('rejects an unknown store type', () => {
    expect(() => createTokenStore({ type: 'redis' } as never)).toThrow(/unknown token store type "redis"; use one of: sqlite, memory/);
  });
});
