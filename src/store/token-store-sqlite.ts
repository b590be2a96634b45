import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import {
  checkNewToken,
  idTaken,
  isRole,
  nameTaken,
  publicToken,
  TokenStoreError,
  type NewToken,
  type StoredToken,
  type TokenRecord,
  type TokenStore,
} from './token-store.js';

export const SQLITE_TOKEN_STORE_TYPE = 'sqlite';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

/**
 * Tokens in the `tokens` table of the same SQLite file as the rollouts, over
 * a connection of its own (WAL lets both share the file). Opening applies
 * pending migrations, exactly as SqliteStore does.
 */
export class SqliteTokenStore implements TokenStore {
  readonly type = SQLITE_TOKEN_STORE_TYPE;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #stmt;

  constructor(file: string) {
    this.file = file;
    const db = (this.#db = openTokenDatabase(file));
    this.#stmt = {
      insert: db.prepare<TokenRow>(
        `INSERT INTO tokens (id, name, role, hash, created_at, created_by, last_used_at, revoked_at, revoked_by)
         VALUES (@id, @name, @role, @hash, @created_at, @created_by, @last_used_at, @revoked_at, @revoked_by)`,
      ),
      get: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?'),
      list: db.prepare<[], TokenRow>('SELECT * FROM tokens ORDER BY created_at, rowid'),
      revoke: db.prepare<[number, string, string]>('UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL'),
      touch: db.prepare<[number, string]>('UPDATE tokens SET last_used_at = ? WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM tokens'),
    };
  }

  add(token: NewToken, now: number): TokenRecord {
    this.#open();
    checkNewToken(token, now);
    const row: TokenRow = {
      id: token.id,
      name: token.name,
      role: token.role,
      hash: token.hash,
      created_at: now,
      created_by: token.createdBy,
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
    };
    try {
      this.#stmt.insert.run(row);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw idTaken(token.id);
      // The partial unique index on active names.
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw nameTaken(token.name);
      throw this.#wrap(err, 'add a token');
    }
    return publicToken(decode(row));
  }

  get(id: string): StoredToken | undefined {
    const row = this.#run(() => this.#stmt.get.get(id), 'read a token');
    return row && decode(row);
  }

  list(): TokenRecord[] {
    return this.#run(() => this.#stmt.list.all(), 'list tokens').map((r) => publicToken(decode(r)));
  }

  revoke(id: string, actor: string, now: number): TokenRecord | undefined {
    const row = this.#run(
      () =>
        this.#db.transaction(() => {
          this.#stmt.revoke.run(now, actor, id);
          return this.#stmt.get.get(id);
        }).immediate(),
      'revoke a token',
    );
    return row && publicToken(decode(row));
  }

  touch(id: string, now: number): void {
    this.#run(() => this.#stmt.touch.run(now, id), 'record token use');
  }

  count(): number {
    return this.#run(() => this.#stmt.count.get()!.n, 'count tokens');
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #open(): void {
    if (!this.#db.open) throw new TokenStoreError('SLUICE_TOKEN_STORE_CLOSED', `the token store on ${this.file} is closed; open it again`);
  }

  #run<T>(fn: () => T, what: string): T {
    this.#open();
    try {
      return fn();
    } catch (err) {
      throw this.#wrap(err, what);
    }
  }

  #wrap(err: unknown, what: string): TokenStoreError {
    if (err instanceof TokenStoreError) return err;
    const inner = err as { code?: string; message?: string };
    const code = typeof inner.code === 'string' && inner.code.startsWith('SLUICE_') ? ` [${inner.code}]` : '';
    return new TokenStoreError('SLUICE_TOKEN_STORE_FAILED', `could not ${what} (SQLite ${this.file}): ${inner.message ?? String(err)}${code}`, { cause: err });
  }
}

function openTokenDatabase(file: string): Database.Database {
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
    throw new TokenStoreError('SLUICE_TOKEN_STORE_FAILED', `could not open the token store in ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function decode(row: TokenRow): StoredToken {
  if (!isRole(row.role)) {
    throw new TokenStoreError('SLUICE_TOKEN_STORE_FAILED', `token ${row.id} has unknown role "${row.role}"; the database was modified outside Sluice`);
  }
  const t: StoredToken = { id: row.id, name: row.name, role: row.role, hash: row.hash, createdAt: row.created_at, createdBy: row.created_by };
  if (row.last_used_at !== null) t.lastUsedAt = row.last_used_at;
  if (row.revoked_at !== null) t.revokedAt = row.revoked_at;
  if (row.revoked_by !== null) t.revokedBy = row.revoked_by;
  return t;
}
