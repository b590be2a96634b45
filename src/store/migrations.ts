/**
 * The SQLite schema as an ordered list of numbered migrations. The applied
 * version lives in `PRAGMA user_version` (part of the database header, so it
 * commits atomically with the migration that sets it). Append new migrations;
 * never edit a published one.
 */
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'rollouts and their events',
    sql: `
      CREATE TABLE rollouts (
        name TEXT PRIMARY KEY NOT NULL,
        document TEXT NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        rollout TEXT NOT NULL,
        revision INTEGER NOT NULL,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        message TEXT NOT NULL,
        actor TEXT,
        data TEXT
      );
      CREATE INDEX events_rollout_seq ON events (rollout, seq);`,
  },
  {
    version: 2,
    description: 'routes the data plane confirmed',
    sql: `ALTER TABLE rollouts ADD COLUMN confirmed_routes TEXT;`,
  },
  {
    version: 3,
    description: 'API tokens (hashes only)',
    sql: `
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT
      );
      CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;`,
  },
  {
    version: 4,
    description: 'feature flags: flag sets, their change events, client (SDK) keys',
    sql: `
      CREATE TABLE flag_sets (
        environment TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (environment, name)
      );
      CREATE TABLE flag_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        environment TEXT NOT NULL,
        flag_set TEXT,
        flag TEXT,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        message TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT
      );
      CREATE INDEX flag_events_environment_flag ON flag_events (environment, flag, seq);
      CREATE TABLE flag_client_keys (
        id TEXT PRIMARY KEY NOT NULL,
        environment TEXT NOT NULL,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at INTEGER
      );`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database at `file` up to `target` (default: the latest), one
 * transaction per migration, and returns the versions before and after.
 * A database written by a newer Sluice is refused, never touched.
 */
export function migrate(db: Database.Database, file: string, target = LATEST_SCHEMA_VERSION): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      'SLUICE_STORE_SCHEMA_NEWER',
      `The database ${file} has schema version ${from}, but this Sluice only knows versions 1 to ${LATEST_SCHEMA_VERSION}. ` +
        'It was written by a newer Sluice: upgrade Sluice, or point the store at another file.',
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= from || migration.version > target) continue;
    const apply = db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (err) {
      throw new StoreError(
        'SLUICE_STORE_MIGRATION_FAILED',
        `Could not upgrade ${file} to schema version ${migration.version} (${migration.description}): ${(err as Error).message}. ` +
          'The database is left at the previous version; fix the cause and start Sluice again.',
        { cause: err },
      );
    }
  }
  return { from, to: schemaVersion(db) };
}
