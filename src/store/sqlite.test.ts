import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStoreContract, sampleRolloutInput } from './contract.js';
import { StoreError } from './errors.js';
import { createStore } from './index.js';
import { LATEST_SCHEMA_VERSION, migrate } from './migrations.js';
import { SqliteStore } from './sqlite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
runStoreContract('sqlite file', () => new SqliteStore(join(dir, `contract-${++files}.db`)));
runStoreContract('sqlite :memory:', () => new SqliteStore(':memory:'));

function openError(file: string): StoreError {
  try {
    new SqliteStore(file).close();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error(`opening ${file} should have failed`);
}

describe('SqliteStore on disk', () => {
  it('keeps data across close and reopen, in WAL mode, creating the directory', () => {
    const file = join(dir, 'nested', 'deeper', 'sluice.db');
    const first = createStore({ type: 'sqlite', path: file });
    const saved = first.saveRollout(sampleRolloutInput('web'), [{ type: 'started', message: 'go', data: { n: 1 } }], 0, 10);
    first.close();
    const second = createStore({ type: 'sqlite', path: file });
    expect(second.getRollout('web')).toEqual(saved.record);
    expect(second.eventsSince(0)).toEqual(saved.events);
    second.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    raw.close();
  });

  it('detects a concurrent save from another connection to the same file', () => {
    const file = join(dir, 'shared.db');
    const a = new SqliteStore(file);
    const b = new SqliteStore(file);
    a.saveRollout(sampleRolloutInput('web'), [], 0, 1);
    const seenByB = b.getRollout('web')!.version;
    a.saveRollout(sampleRolloutInput('web', 1, 10), [{ type: 'weight-changed', message: 'a wins' }], seenByB, 2);
    expect(() => b.saveRollout(sampleRolloutInput('web', 1, 20), [{ type: 'weight-changed', message: 'b loses' }], seenByB, 3)).toThrow(
      expect.objectContaining({ code: 'SLUICE_STORE_CONFLICT' }),
    );
    expect(b.getRollout('web')!.state.canaryWeight).toBe(10);
    expect(b.eventsSince(0).map((e) => e.message)).toEqual(['a wins']);
    a.close();
    b.close();
  });

  it('upgrades a version 1 database, keeping its rows', () => {
    const file = join(dir, 'v1.db');
    const raw = new Database(file);
    expect(migrate(raw, file, 1)).toEqual({ from: 0, to: 1 });
    const { rollout, state } = sampleRolloutInput('web');
    raw
      .prepare('INSERT INTO rollouts (name, document, state, version, created_at, updated_at) VALUES (?, ?, ?, 3, 100, 200)')
      .run('web', JSON.stringify(rollout), JSON.stringify(state));
    raw.prepare("INSERT INTO events (rollout, revision, time, type, message) VALUES ('web', 1, 150, 'started', 'old')").run();
    raw.close();

    const store = new SqliteStore(file);
    const record = store.getRollout('web')!;
    expect(record).toMatchObject({ version: 3, createdAt: 100, updatedAt: 200, state });
    expect(record).not.toHaveProperty('confirmedRoutes');
    expect(store.listEvents('web')).toEqual([{ seq: 1, rollout: 'web', revision: 1, time: 150, type: 'started', message: 'old' }]);
    const next = store.saveRollout({ ...sampleRolloutInput('web'), confirmedRoutes: state.routes }, [], 3, 300);
    expect(next.record).toMatchObject({ version: 4, createdAt: 100, confirmedRoutes: state.routes });
    store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    check.close();
  });

  it('rolls a failed migration back and says which version failed', () => {
    const file = join(dir, 'broken.db');
    const raw = new Database(file);
    raw.pragma('user_version = 1'); // claims v1 but has no tables: migration 2 cannot alter them
    raw.close();
    const err = openError(file);
    expect(err.code).toBe('SLUICE_STORE_MIGRATION_FAILED');
    expect(err.message).toContain(file);
    expect(err.message).toContain('schema version 2');
    expect(err.cause).toBeDefined();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    check.close();
  });

  it('refuses a database written by a newer Sluice and leaves it untouched', () => {
    const file = join(dir, 'newer.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    const err = openError(file);
    expect(err.code).toBe('SLUICE_STORE_SCHEMA_NEWER');
    expect(err.message).toContain(file);
    expect(err.message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 5}`);
    expect(err.message).toContain(`versions 1 to ${LATEST_SCHEMA_VERSION}`);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION + 5);
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'rollouts'").get()).toEqual({ n: 0 });
    check.close();
  });

  it('names the file when it is not a SQLite database, and leaves it alone', () => {
    const file = join(dir, 'notes.txt');
    const text = 'these are my notes, not a database\n'.repeat(50);
    writeFileSync(file, text);
    const err = openError(file);
    expect(err.code).toBe('SLUICE_STORE_NOT_SQLITE');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not a SQLite database/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('reports an unopenable path as SLUICE_STORE_OPEN_FAILED', () => {
    const err = openError(join(dir, 'missing-dir', 'x.db'));
    expect(err.code).toBe('SLUICE_STORE_OPEN_FAILED');
    expect(err.message).toContain(join(dir, 'missing-dir', 'x.db'));
  });
});

describe('SqliteStore durability', () => {
  const writer = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url));

  /** Runs the writer until it has reported `saves` more saves, then SIGKILLs it; returns the last version it reported. */
  async function saveThenKill(file: string, saves: number): Promise<number> {
    const child = spawn(process.execPath, [writer, file, 'crashy'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let first: number | undefined;
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.trimEnd().split('\n');
      first ??= Number(lines[0]);
      if (!killed && Number(lines[lines.length - 1]) - first + 1 >= saves) killed = child.kill('SIGKILL');
    });
    // 'close' comes after stdout is drained, so every version the child printed is counted.
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    if (!killed) throw new Error(`crash writer exited by itself (signal ${signal}): ${stderr}`);
    expect(signal).toBe('SIGKILL');
    const lines = stdout.trimEnd().split('\n');
    return Number(lines[lines.length - 1]);
  }

  it('after SIGKILL, version N has exactly the events of saves 1..N and every reported save', async () => {
    const file = join(dir, 'crash.db');
    for (let round = 1; round <= 3; round++) {
      const reported = await saveThenKill(file, 40);
      const store = new SqliteStore(file);
      const record = store.getRollout('crashy')!;
      const n = record.version;
      expect(n).toBeGreaterThanOrEqual(reported); // nothing that returned was lost
      expect(n).toBeLessThanOrEqual(reported + 1); // at most the save in flight
      expect(record.state).toMatchObject({ message: `save ${n}`, save: n });
      const events = store.listEvents('crashy');
      expect(events.map((e) => `${e.data!.save}.${e.data!.i}`)).toEqual(
        Array.from({ length: n }, (_, k) => [`${k + 1}.1`, `${k + 1}.2`]).flat(),
      );
      expect(store.eventsSince(0)).toEqual(events);
      store.close();
    }
  });
});
