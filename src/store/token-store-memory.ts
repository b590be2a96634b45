import {
  checkNewToken,
  idTaken,
  nameTaken,
  publicToken,
  TokenStoreError,
  type NewToken,
  type StoredToken,
  type TokenRecord,
  type TokenStore,
} from './token-store.js';

export const MEMORY_TOKEN_STORE_TYPE = 'memory';

/** Tokens kept in process memory, for tests and throwaway servers; copies in and out like the SQLite store. */
export class MemoryTokenStore implements TokenStore {
  readonly type = MEMORY_TOKEN_STORE_TYPE;
  /** Insertion order is creation order. */
  #tokens = new Map<string, StoredToken>();
  #closed = false;

  add(token: NewToken, now: number): TokenRecord {
    this.#open();
    checkNewToken(token, now);
    if (this.#tokens.has(token.id)) throw idTaken(token.id);
    for (const t of this.#tokens.values()) if (t.name === token.name && t.revokedAt === undefined) throw nameTaken(token.name);
    const stored: StoredToken = { id: token.id, name: token.name, role: token.role, hash: token.hash, createdAt: now, createdBy: token.createdBy };
    this.#tokens.set(token.id, stored);
    return publicToken({ ...stored });
  }

  get(id: string): StoredToken | undefined {
    this.#open();
    const t = this.#tokens.get(id);
    return t && { ...t };
  }

  list(): TokenRecord[] {
    this.#open();
    return [...this.#tokens.values()].map((t) => publicToken({ ...t }));
  }

  revoke(id: string, actor: string, now: number): TokenRecord | undefined {
    this.#open();
    const t = this.#tokens.get(id);
    if (!t) return undefined;
    if (t.revokedAt === undefined) {
      t.revokedAt = now;
      t.revokedBy = actor;
    }
    return publicToken({ ...t });
  }

  touch(id: string, now: number): void {
    this.#open();
    const t = this.#tokens.get(id);
    if (t) t.lastUsedAt = now;
  }

  count(): number {
    this.#open();
    return this.#tokens.size;
  }

  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new TokenStoreError('SLUICE_TOKEN_STORE_CLOSED', 'the memory token store is closed; create a new one');
  }
}
