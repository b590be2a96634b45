import Database from 'better-sqlite3';
import type { EventDraft } from '../engine/types.js';
import { StoreError } from './errors.js';
import { migrate } from './migrations.js';
import {
  checkCount,
  checkName,
  checkNow,
  checkSeq,
  checkVersion,
  decodeEvent,
  decodeRecord,
  encodeEvent,
  prepareSave,
  type EventRow,
  type RolloutRow,
  type SaveInput,
} from './rows.js';
import type { RolloutRecord, Store, StoredEvent } from './store.js';

export const SQLITE_STORE_TYPE = 'sqlite';

/** How long a write waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // The first statement reads the header: a file that is not SQLite fails here.
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk (WAL fsynced) before saveRollout returns.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, file);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB') {
      throw new StoreError(
        'SLUICE_STORE_NOT_SQLITE',
        `The store file ${file} is not a SQLite database. Point the store path at a Sluice database or at a new file.`,
        { cause: err },
      );
    }
    throw new StoreError('SLUICE_STORE_OPEN_FAILED', `Could not open the SQLite store ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The default Store: one SQLite file (or `:memory:`) through better-sqlite3,
 * WAL mode with full sync, so a save that returned survives a crash or power
 * loss. Opening applies pending schema migrations.
 */
export class SqliteStore implements Store {
  readonly type = SQLITE_STORE_TYPE;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #stmt;
  readonly #save;
  readonly #delete;

  constructor(file: string) {
    checkName(file, 'SqliteStore: file');
    this.file = file;
    const db = (this.#db = openDatabase(file));
    this.#stmt = {
      get: db.prepare<[string], RolloutRow>('SELECT * FROM rollouts WHERE name = ?'),
      list: db.prepare<[], RolloutRow>('SELECT * FROM rollouts ORDER BY name'),
      version: db.prepare<[string], Pick<RolloutRow, 'version' | 'created_at'>>(
        'SELECT version, created_at FROM rollouts WHERE name = ?',
      ),
      revision: db.prepare<[string], { revision: number }>(
        "SELECT json_extract(state, '$.revision') AS revision FROM rollouts WHERE name = ?",
      ),
      insert: db.prepare<RolloutRow>(
        `INSERT INTO rollouts (name, document, state, confirmed_routes, version, created_at, updated_at)
         VALUES (@name, @document, @state, @confirmed_routes, @version, @created_at, @updated_at)`,
      ),
      update: db.prepare<RolloutRow>(
        `UPDATE rollouts SET document = @document, state = @state, confirmed_routes = @confirmed_routes,
           version = @version, updated_at = @updated_at WHERE name = @name`,
      ),
      remove: db.prepare<[string]>('DELETE FROM rollouts WHERE name = ?'),
      event: db.prepare<Omit<EventRow, 'seq'>>(
        `INSERT INTO events (rollout, revision, time, type, message, actor, data)
         VALUES (@rollout, @revision, @time, @type, @message, @actor, @data)`,
      ),
      // LIMIT -1 is SQLite for "no limit".
      eventsOf: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE rollout = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      since: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
    };
    const s = this.#stmt;

    // IMMEDIATE: take the write lock before reading the version, so two
    // processes cannot both pass the version check.
    this.#save = db.transaction((record: SaveInput, events: EventDraft[], expectedVersion: number, now: number) => {
      const save = prepareSave(record, events, expectedVersion, now);
      const existing = s.version.get(save.name);
      checkVersion(save.name, expectedVersion, existing?.version);
      const row: RolloutRow = {
        name: save.name,
        document: save.document,
        state: save.state,
        confirmed_routes: save.confirmedRoutes,
        version: expectedVersion + 1,
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      (existing ? s.update : s.insert).run(row);
      const eventRows = save.events.map((e): EventRow => ({ ...e, seq: Number(s.event.run(e).lastInsertRowid) }));
      return { record: decodeRecord(row), events: eventRows.map(decodeEvent) };
    }).immediate;

    this.#delete = db.transaction((name: string, event: EventDraft, now: number): boolean => {
      const found = s.revision.get(name);
      if (!found) return false;
      const row = encodeEvent(event, name, found.revision, now, `deleteRollout("${name}"): event`);
      s.remove.run(name);
      s.event.run(row);
      return true;
    }).immediate;
  }

  getRollout(name: string): RolloutRecord | undefined {
    const row = this.#read(() => this.#stmt.get.get(name));
    return row && decodeRecord(row);
  }

  listRollouts(): RolloutRecord[] {
    return this.#read(() => this.#stmt.list.all()).map(decodeRecord);
  }

  saveRollout(
    record: SaveInput,
    events: EventDraft[],
    expectedVersion: number,
    now: number,
  ): { record: RolloutRecord; events: StoredEvent[] } {
    this.#open();
    try {
      return this.#save(record, events, expectedVersion, now);
    } catch (err) {
      throw this.#wrap(err, `save rollout "${String(record?.name)}"`);
    }
  }

  deleteRollout(name: string, event: EventDraft, now: number): boolean {
    this.#open();
    checkName(name, 'deleteRollout: name');
    checkNow(now, `deleteRollout("${name}")`);
    try {
      return this.#delete(name, event, now);
    } catch (err) {
      throw this.#wrap(err, `delete rollout "${name}"`);
    }
  }

  listEvents(rollout: string, opts: { afterSeq?: number; limit?: number } = {}): StoredEvent[] {
    checkSeq(opts.afterSeq, 'listEvents: afterSeq');
    checkCount(opts.limit, 'listEvents: limit');
    return this.#read(() => this.#stmt.eventsOf.all(rollout, opts.afterSeq ?? 0, opts.limit ?? -1)).map(decodeEvent);
  }

  eventsSince(afterSeq: number, limit?: number): StoredEvent[] {
    checkSeq(afterSeq, 'eventsSince: afterSeq');
    checkCount(limit, 'eventsSince: limit');
    return this.#read(() => this.#stmt.since.all(afterSeq, limit ?? -1)).map(decodeEvent);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #open(): void {
    if (!this.#db.open) throw new StoreError('SLUICE_STORE_CLOSED', `The SQLite store ${this.file} is closed; open it again.`);
  }

  #read<T>(query: () => T): T {
    this.#open();
    try {
      return query();
    } catch (err) {
      throw this.#wrap(err, 'read', 'SLUICE_STORE_READ_FAILED');
    }
  }

  #wrap(err: unknown, what: string, code: 'SLUICE_STORE_WRITE_FAILED' | 'SLUICE_STORE_READ_FAILED' = 'SLUICE_STORE_WRITE_FAILED'): StoreError {
    if (err instanceof StoreError) return err;
    return new StoreError(code, `Could not ${what} (SQLite store ${this.file}): ${(err as Error).message}`, { cause: err });
  }
}
