import Database from 'better-sqlite3';
import type { FlagSet } from '../spec/flagset-types.js';
import { StoreError } from './errors.js';
import {
  checkFlagEvent,
  flagSetConflict,
  type ClientKeyRecord,
  type FlagEventDraft,
  type FlagEventType,
  type FlagLastChange,
  type FlagSetRecord,
  type FlagStore,
  type StoredFlagEvent,
} from './flag-store.js';
import { migrate } from './migrations.js';

export const SQLITE_FLAG_STORE_TYPE = 'sqlite';

interface SetRow {
  environment: string;
  name: string;
  document: string;
  version: number;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

interface EventRow {
  seq: number;
  environment: string;
  flag_set: string | null;
  flag: string | null;
  time: number;
  type: string;
  message: string;
  actor: string;
  data: string | null;
}

interface KeyRow {
  id: string;
  environment: string;
  name: string;
  hash: string;
  hint: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError('SLUICE_STORE_OPEN_FAILED', `Could not open the flag store in ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StoreError('SLUICE_STORE_CORRUPT_ROW', `The stored ${what} is not valid JSON; the database was changed outside Sluice.`, { cause: err });
  }
}

const decodeSet = (r: SetRow): FlagSetRecord => ({
  environment: r.environment,
  name: r.name,
  flagSet: parseJson<FlagSet>(r.document, `flag set ${r.environment}/${r.name}`),
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const decodeEvent = (r: EventRow): StoredFlagEvent => ({
  seq: r.seq,
  environment: r.environment,
  ...(r.flag_set !== null ? { flagSet: r.flag_set } : {}),
  time: r.time,
  type: r.type as FlagEventType,
  ...(r.flag !== null ? { flag: r.flag } : {}),
  message: r.message,
  actor: r.actor,
  ...(r.data !== null ? { data: parseJson<Record<string, unknown>>(r.data, `flag event ${r.seq}`) } : {}),
});

const decodeKey = (r: KeyRow): ClientKeyRecord => ({
  id: r.id,
  environment: r.environment,
  name: r.name,
  hash: r.hash,
  hint: r.hint,
  createdAt: r.created_at,
  createdBy: r.created_by,
  ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
});

/**
 * Flags in the same SQLite file as the rollouts, over a connection of their
 * own (WAL lets several connections share the file). A save and its events
 * commit together, and a commit is on disk before the call returns.
 */
export class SqliteFlagStore implements FlagStore {
  readonly type = SQLITE_FLAG_STORE_TYPE;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #stmt;
  readonly #save;
  readonly #delete;
  readonly #saveKey;
  readonly #revoke;

  constructor(file: string) {
    this.file = file;
    const db = (this.#db = openDatabase(file));
    const s = (this.#stmt = {
      get: db.prepare<[string, string], SetRow>('SELECT * FROM flag_sets WHERE environment = ? AND name = ?'),
      listAll: db.prepare<[], SetRow>('SELECT * FROM flag_sets ORDER BY environment, name'),
      listEnv: db.prepare<[string], SetRow>('SELECT * FROM flag_sets WHERE environment = ? ORDER BY name'),
      upsert: db.prepare<SetRow>(
        `INSERT INTO flag_sets (environment, name, document, version, created_at, updated_at, updated_by)
         VALUES (@environment, @name, @document, @version, @created_at, @updated_at, @updated_by)
         ON CONFLICT (environment, name) DO UPDATE SET document = @document, version = @version, updated_at = @updated_at, updated_by = @updated_by`,
      ),
      remove: db.prepare<[string, string]>('DELETE FROM flag_sets WHERE environment = ? AND name = ?'),
      event: db.prepare<Omit<EventRow, 'seq'>>(
        `INSERT INTO flag_events (environment, flag_set, flag, time, type, message, actor, data)
         VALUES (@environment, @flag_set, @flag, @time, @type, @message, @actor, @data)`,
      ),
      events: db.prepare<{ environment: string | null; flag: string | null; after: number; limit: number }, EventRow>(
        `SELECT * FROM flag_events WHERE seq > @after AND (@environment IS NULL OR environment = @environment)
           AND (@flag IS NULL OR flag = @flag) ORDER BY seq LIMIT @limit`,
      ),
      lastChanges: db.prepare<{ environment: string | null }, FlagLastChange>(
        `SELECT e.environment, e.flag, e.seq, e.time, e.actor FROM flag_events e
           JOIN (SELECT max(seq) AS seq FROM flag_events WHERE flag IS NOT NULL AND flag_set IS NOT NULL
                   AND (@environment IS NULL OR environment = @environment) GROUP BY environment, flag) m ON e.seq = m.seq
           ORDER BY e.environment, e.flag`,
      ),
      revision: db.prepare<[string], { seq: number | null }>('SELECT max(seq) AS seq FROM flag_events WHERE environment = ? AND flag_set IS NOT NULL'),
      insertKey: db.prepare<KeyRow>(
        `INSERT INTO flag_client_keys (id, environment, name, hash, hint, created_at, created_by, revoked_at)
         VALUES (@id, @environment, @name, @hash, @hint, @created_at, @created_by, @revoked_at)`,
      ),
      keyByHash: db.prepare<[string], KeyRow>('SELECT * FROM flag_client_keys WHERE hash = ?'),
      keyById: db.prepare<[string], KeyRow>('SELECT * FROM flag_client_keys WHERE id = ?'),
      keysAll: db.prepare<[], KeyRow>('SELECT * FROM flag_client_keys ORDER BY created_at, id'),
      keysEnv: db.prepare<[string], KeyRow>('SELECT * FROM flag_client_keys WHERE environment = ? ORDER BY created_at, id'),
      revoke: db.prepare<[number, string]>('UPDATE flag_client_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    });

    const append = (e: FlagEventDraft, environment: string, flagSet: string | null, now: number): StoredFlagEvent => {
      const row: Omit<EventRow, 'seq'> = {
        environment,
        flag_set: flagSet,
        flag: e.flag ?? null,
        time: now,
        type: e.type,
        message: e.message,
        actor: e.actor,
        data: e.data === undefined ? null : JSON.stringify(e.data),
      };
      return decodeEvent({ ...row, seq: Number(s.event.run(row).lastInsertRowid) });
    };

    // IMMEDIATE: take the write lock before reading the version.
    this.#save = db.transaction((flagSet: FlagSet, events: FlagEventDraft[], expectedVersion: number, now: number) => {
      const { environment, name } = flagSet.metadata;
      const existing = s.get.get(environment, name);
      const actual = existing?.version ?? 0;
      if (actual !== expectedVersion) throw flagSetConflict(environment, name, expectedVersion, actual);
      const row: SetRow = {
        environment,
        name,
        document: JSON.stringify(flagSet),
        version: actual + 1,
        created_at: existing?.created_at ?? now,
        updated_at: now,
        updated_by: events[events.length - 1]?.actor ?? existing?.updated_by ?? 'unknown',
      };
      s.upsert.run(row);
      return { record: decodeSet(row), events: events.map((e) => append(e, environment, name, now)) };
    }).immediate;

    this.#delete = db.transaction((environment: string, name: string, events: FlagEventDraft[], now: number) => {
      if (s.remove.run(environment, name).changes === 0) return undefined;
      return events.map((e) => append(e, environment, name, now));
    }).immediate;

    this.#saveKey = db.transaction((key: ClientKeyRecord, event: FlagEventDraft, now: number) => {
      s.insertKey.run({
        id: key.id,
        environment: key.environment,
        name: key.name,
        hash: key.hash,
        hint: key.hint,
        created_at: key.createdAt,
        created_by: key.createdBy,
        revoked_at: key.revokedAt ?? null,
      });
      return append(event, key.environment, null, now);
    }).immediate;

    this.#revoke = db.transaction((id: string, event: FlagEventDraft, now: number) => {
      const key = s.keyById.get(id);
      if (!key || s.revoke.run(now, id).changes === 0) return false;
      append(event, key.environment, null, now);
      return true;
    }).immediate;
  }

  getFlagSet(environment: string, name: string): FlagSetRecord | undefined {
    const row = this.#read(() => this.#stmt.get.get(environment, name));
    return row && decodeSet(row);
  }

  listFlagSets(environment?: string): FlagSetRecord[] {
    return this.#read(() => (environment === undefined ? this.#stmt.listAll.all() : this.#stmt.listEnv.all(environment))).map(decodeSet);
  }

  saveFlagSet(flagSet: FlagSet, events: FlagEventDraft[], expectedVersion: number, now: number): { record: FlagSetRecord; events: StoredFlagEvent[] } {
    events.forEach((e) => checkFlagEvent(e, 'saveFlagSet'));
    return this.#write(() => this.#save(flagSet, events, expectedVersion, now), `save flag set "${flagSet?.metadata?.name}"`);
  }

  deleteFlagSet(environment: string, name: string, events: FlagEventDraft[], now: number): StoredFlagEvent[] | undefined {
    events.forEach((e) => checkFlagEvent(e, 'deleteFlagSet'));
    return this.#write(() => this.#delete(environment, name, events, now), `delete flag set "${name}"`);
  }

  flagEvents(opts: { environment?: string; flag?: string; afterSeq?: number; limit?: number } = {}): StoredFlagEvent[] {
    const params = { environment: opts.environment ?? null, flag: opts.flag ?? null, after: opts.afterSeq ?? 0, limit: opts.limit ?? -1 };
    return this.#read(() => this.#stmt.events.all(params)).map(decodeEvent);
  }

  lastFlagChanges(environment?: string): FlagLastChange[] {
    return this.#read(() => this.#stmt.lastChanges.all({ environment: environment ?? null }));
  }

  flagRevision(environment: string): number {
    return this.#read(() => this.#stmt.revision.get(environment))?.seq ?? 0;
  }

  saveClientKey(key: ClientKeyRecord, event: FlagEventDraft, now: number): StoredFlagEvent {
    checkFlagEvent(event, 'saveClientKey');
    return this.#write(() => this.#saveKey(key, event, now), `save client key ${key?.id}`);
  }

  clientKeyByHash(hash: string): ClientKeyRecord | undefined {
    const row = this.#read(() => this.#stmt.keyByHash.get(hash));
    return row && decodeKey(row);
  }

  getClientKey(id: string): ClientKeyRecord | undefined {
    const row = this.#read(() => this.#stmt.keyById.get(id));
    return row && decodeKey(row);
  }

  listClientKeys(environment?: string): ClientKeyRecord[] {
    return this.#read(() => (environment === undefined ? this.#stmt.keysAll.all() : this.#stmt.keysEnv.all(environment))).map(decodeKey);
  }

  revokeClientKey(id: string, event: FlagEventDraft, now: number): boolean {
    checkFlagEvent(event, 'revokeClientKey');
    return this.#write(() => this.#revoke(id, event, now), `revoke client key ${id}`);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #open(): void {
    if (!this.#db.open) throw new StoreError('SLUICE_STORE_CLOSED', `The flag store in ${this.file} is closed; open it again.`);
  }

  #read<T>(query: () => T): T {
    this.#open();
    try {
      return query();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('SLUICE_STORE_READ_FAILED', `Could not read flags (SQLite ${this.file}): ${(err as Error).message}`, { cause: err });
    }
  }

  #write<T>(write: () => T, what: string): T {
    this.#open();
    try {
      return write();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const unique = (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
      throw new StoreError(unique ? 'SLUICE_STORE_CONFLICT' : 'SLUICE_STORE_WRITE_FAILED', `Could not ${what} (SQLite ${this.file}): ${(err as Error).message}`, { cause: err });
    }
  }
}
