import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFlagStore } from './flag-store-factory.js';
import { runFlagStoreContract, sampleFlagSet } from './flag-store-contract.js';
import { SqliteFlagStore } from './flag-store-sqlite.js';
import { SqliteStore } from './sqlite.js';
import { StoreError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-flag-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
runFlagStoreContract('sqlite file', () => new SqliteFlagStore(join(dir, `contract-${++n}.db`)));
runFlagStoreContract('sqlite :memory:', () => new SqliteFlagStore(':memory:'));

describe('SqliteFlagStore on disk', () => {
  it('shares the rollouts\' database file, and keeps flags across reopen', () => {
    const file = join(dir, 'nested', 'sluice.db');
    const flags = createFlagStore({ type: 'sqlite', path: file });
    const rollouts = new SqliteStore(file);
    const saved = flags.saveFlagSet(sampleFlagSet('checkout'), [{ type: 'flag-created', flag: 'new-checkout', message: 'created', actor: 'alice' }], 0, 5);
    flags.close();
    rollouts.close();
    const again = new SqliteFlagStore(file);
    expect(again.getFlagSet('production', 'checkout')).toEqual(saved.record);
    expect(again.flagEvents()).toEqual(saved.events);
    again.close();
    const raw = new Database(file, { readonly: true });
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => (r as { name: string }).name);
    raw.close();
    expect(tables).toEqual(expect.arrayContaining(['flag_client_keys', 'flag_events', 'flag_sets', 'rollouts']));
  });

  it('rejects an unknown store type', () => {
    expect(() => createFlagStore({ type: 'redis' } as never)).toThrow(StoreError);
  });

  it('reports a row edited outside Sluice as corrupt', () => {
    const file = join(dir, 'corrupt.db');
    const store = new SqliteFlagStore(file);
    store.saveFlagSet(sampleFlagSet('a'), [{ type: 'flag-created', message: 'x', actor: 'alice' }], 0, 1);
    const raw = new Database(file);
    raw.prepare("UPDATE flag_sets SET document = '{not json'").run();
    raw.close();
    expect(() => store.getFlagSet('production', 'a')).toThrow(expect.objectContaining({ code: 'SLUICE_STORE_CORRUPT_ROW' }));
    store.close();
  });
});
