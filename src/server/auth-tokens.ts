import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role, TokenRecord, TokenStore } from '../store/token-store.js';

/**
 * Token text is `sluice_<id>_<secret>`: the id (12 hex digits) is public and
 * finds the stored record; the secret is 32 random bytes. Only the SHA-256 of
 * the whole text is stored, and it is compared in constant time.
 */
const PREFIX = 'sluice_';
const TEXT = /^sluice_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ID = /^[a-f0-9]{12}$/;
/** Compared against when the id is unknown, so every failure costs the same work. */
const DUMMY = Buffer.alloc(32);

/** Name of the file `sluice up` writes the first admin token to, in the data directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';

export type RandomBytes = (size: number) => Buffer;

export function hashToken(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A fresh token: its text (shown once) and what is stored. */
export function generateToken(random: RandomBytes = randomBytes): { id: string; text: string; hash: string } {
  const id = random(6).toString('hex');
  const text = `${PREFIX}${id}_${random(32).toString('base64url')}`;
  return { id, text, hash: hashToken(text) };
}

/** A revoked token is named to whoever holds its secret (and only them), so they know which one to replace. */
export type Verification = { ok: true; token: TokenRecord } | { ok: false; reason: 'malformed' | 'unknown' } | { ok: false; reason: 'revoked'; token: TokenRecord };

/** Checks a presented token against the store. Never throws for bad input: the reason is data. */
export function verifyToken(store: TokenStore, text: string): Verification {
  const m = TEXT.exec(text);
  if (!m) return { ok: false, reason: 'malformed' };
  const stored = store.get(m[1]!);
  const expected = stored ? Buffer.from(stored.hash, 'hex') : DUMMY;
  const presented = createHash('sha256').update(text, 'utf8').digest();
  const same = expected.length === presented.length && timingSafeEqual(expected, presented);
  if (!stored || !same) return { ok: false, reason: 'unknown' };
  const { hash: _hash, ...token } = stored;
  if (stored.revokedAt !== undefined) return { ok: false, reason: 'revoked', token };
  return { ok: true, token };
}

/**
 * Why `id` cannot be a token id (the 12 hex digits of `sluice_<id>_<secret>`),
 * as a sentence; undefined when it can. Someone who pastes a whole token is
 * told its id, and the secret is never repeated back.
 */
export function tokenIdProblem(id: string): string | undefined {
  if (ID.test(id)) return undefined;
  const whole = /^sluice_([a-f0-9]{12})_/.exec(id);
  if (whole) return `that is a whole token, secret included, not its id; its id is ${whole[1]}`;
  const shown = id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}…` : JSON.stringify(id);
  return `${shown} is not a token id: an id is 12 lowercase hex digits, such as 1de9963b2b1a (the part after "sluice_" in the token); \`sluice token list\` shows every token's id`;
}

/** Creates and stores a token; the returned text is the only copy of the secret. */
export function issueToken(
  store: TokenStore,
  input: { name: string; role: Role; createdBy: string },
  now: number,
  random: RandomBytes = randomBytes,
): { token: TokenRecord; text: string } {
  const { id, text, hash } = generateToken(random);
  const token = store.add({ id, name: input.name, role: input.role, hash, createdBy: input.createdBy }, now);
  return { token, text };
}

/**
 * On a fresh state directory (no token was ever created) creates an admin
 * token named "admin" and writes it to `<dataDir>/admin-token`, readable by
 * the owner only. The file is written before the token is stored: a crash in
 * between leaves no token, and the next start makes a new one.
 */
export function ensureAdminToken(store: TokenStore, dataDir: string, now: number, random: RandomBytes = randomBytes): { created: boolean; file: string; text?: string } {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  if (store.count() > 0) return { created: false, file };
  const { id, text, hash } = generateToken(random);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600); // a leftover temp file would keep its old mode
  renameSync(tmp, file);
  store.add({ id, name: 'admin', role: 'admin', hash, createdBy: 'sluice up' }, now);
  return { created: true, file, text };
}
