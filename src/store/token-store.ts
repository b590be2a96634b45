/**
 * API tokens as stored: only a hash of each secret is kept, so a copy of the
 * database does not let anyone call the API. One interface, an in-memory and a
 * SQLite implementation (same database file as the rollouts), one contract suite.
 */

/** Roles, least to most powerful: each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A token as listed: everything but its hash. */
export interface TokenRecord {
  /** Public identifier, part of the token text; used to look it up and to revoke it. */
  id: string;
  /** Unique among active tokens; recorded as the actor of every write made with the token. */
  name: string;
  role: Role;
  createdAt: number;
  /** Name of the token (or "sluice up") that created it. */
  createdBy: string;
  /** Updated at most about once a minute, so reads do not turn into writes. */
  lastUsedAt?: number;
  revokedAt?: number;
  revokedBy?: string;
}

/** A token with the hash of its secret (hex SHA-256), for verification. */
export interface StoredToken extends TokenRecord {
  hash: string;
}

export interface NewToken {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdBy: string;
}

export type TokenStoreErrorCode = 'SLUICE_TOKEN_NAME_TAKEN' | 'SLUICE_TOKEN_ID_TAKEN' | 'SLUICE_TOKEN_INVALID' | 'SLUICE_TOKEN_STORE_FAILED' | 'SLUICE_TOKEN_STORE_CLOSED';

/** An error a TokenStore throws on purpose; `code` is stable, the message says what to do. */
export class TokenStoreError extends Error {
  override readonly name = 'TokenStoreError';
  constructor(
    readonly code: TokenStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TokenStore {
  readonly type: string;
  /** Stores a new token. A name held by another active token, or a reused id, is refused and nothing is written. */
  add(token: NewToken, now: number): TokenRecord;
  /** The token with this id, revoked or not; undefined when there is none. */
  get(id: string): StoredToken | undefined;
  /** Every token ever created, oldest first, without hashes. */
  list(): TokenRecord[];
  /** Marks a token revoked (idempotent: a second call keeps the first time). Undefined when there is no such token. */
  revoke(id: string, actor: string, now: number): TokenRecord | undefined;
  /** Records that the token was used at `now`. */
  touch(id: string, now: number): void;
  /** How many tokens were ever created (revoked ones included): 0 means a fresh state directory. */
  count(): number;
  close(): void;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/;
const ID = /^[a-f0-9]{8,64}$/;
const HASH = /^[a-f0-9]{64}$/;

/** What makes a token name valid, for messages. */
export const TOKEN_NAME_RULE = 'a name of 1–64 letters, digits, ".", "_", "@", ":" or "-", starting with a letter or digit';

export function isTokenName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

/** Rejects malformed input the same way in every implementation. */
export function checkNewToken(token: NewToken, now: number): void {
  const bad = (what: string) => new TokenStoreError('SLUICE_TOKEN_INVALID', `TokenStore.add: ${what}`);
  if (typeof token !== 'object' || token === null) throw bad('token must be an object');
  if (!isTokenName(token.name)) throw bad(`name must be ${TOKEN_NAME_RULE}, got ${JSON.stringify(token.name)}`);
  if (!isRole(token.role)) throw bad(`role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(token.role)}`);
  if (typeof token.id !== 'string' || !ID.test(token.id)) throw bad(`id must be 8–64 lowercase hex digits, got ${JSON.stringify(token.id)}`);
  if (typeof token.hash !== 'string' || !HASH.test(token.hash)) throw bad('hash must be a hex SHA-256 (64 lowercase hex digits)');
  if (typeof token.createdBy !== 'string' || token.createdBy === '') throw bad('createdBy must name who created the token');
  if (!Number.isFinite(now)) throw bad(`now must be a finite number of ms, got ${String(now)}`);
}

export function nameTaken(name: string): TokenStoreError {
  return new TokenStoreError('SLUICE_TOKEN_NAME_TAKEN', `an active token is already named "${name}"; pick another name or revoke that token first`);
}

export function idTaken(id: string): TokenStoreError {
  return new TokenStoreError('SLUICE_TOKEN_ID_TAKEN', `a token with id ${id} already exists; generate a new id`);
}

/** Drops the hash: what may leave the server. */
export function publicToken(token: StoredToken): TokenRecord {
  const { hash: _hash, ...record } = token;
  return record;
}
