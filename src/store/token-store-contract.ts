/**
 * The behaviour every TokenStore must have, as one vitest suite; each
 * implementation's test calls runTokenStoreContract with a factory.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStoreError, type NewToken, type TokenStore } from './token-store.js';

let ids = 0;
function token(name: string, role: NewToken['role'] = 'viewer', id = (++ids).toString(16).padStart(12, '0')): NewToken {
  return { id, name, role, hash: createHash('sha256').update(`secret-${id}`).digest('hex'), createdBy: 'test' };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TokenStoreError);
    return (err as TokenStoreError).code;
  }
  throw new Error('expected a TokenStoreError, nothing was thrown');
}

export function runTokenStoreContract(name: string, newStore: () => TokenStore | Promise<TokenStore>): void {
  describe(`TokenStore contract: ${name}`, () => {
    let store: TokenStore;
    beforeEach(async () => {
      store = await newStore();
    });
    afterEach(() => store.close());

    it('adds tokens, returns them without hashes, and finds each by id with its hash', () => {
      expect(store.count()).toBe(0);
      const a = token('ci', 'operator');
      const added = store.add(a, 1_000);
      expect(added).toEqual({ id: a.id, name: 'ci', role: 'operator', createdAt: 1_000, createdBy: 'test' });
      expect(added).not.toHaveProperty('hash');
      expect(store.get(a.id)).toEqual({ ...added, hash: a.hash });
      expect(store.get('ffffffffffff')).toBeUndefined();
      const b = store.add(token('alice', 'admin'), 2_000);
      expect(store.list()).toEqual([added, b]);
      expect(store.count()).toBe(2);
    });

    it('keeps names unique among active tokens only', () => {
      const first = token('deploy');
      store.add(first, 1);
      expect(code(() => store.add(token('deploy', 'admin'), 2))).toBe('SLUICE_TOKEN_NAME_TAKEN');
      expect(store.count()).toBe(1);
      store.revoke(first.id, 'alice', 3);
      const again = store.add(token('deploy', 'admin'), 4);
      expect(again.role).toBe('admin');
      expect(store.list().map((t) => [t.name, t.revokedAt])).toEqual([
        ['deploy', 3],
        ['deploy', undefined],
      ]);
    });

    it('refuses a reused id and malformed tokens, writing nothing', () => {
      const t = token('one');
      store.add(t, 1);
      expect(code(() => store.add({ ...token('two'), id: t.id }, 2))).toBe('SLUICE_TOKEN_ID_TAKEN');
      expect(code(() => store.add({ ...token('x'), name: 'has space' }, 2))).toBe('SLUICE_TOKEN_INVALID');
      expect(code(() => store.add({ ...token('x'), role: 'root' as never }, 2))).toBe('SLUICE_TOKEN_INVALID');
      expect(code(() => store.add({ ...token('x'), hash: 'plain-secret' }, 2))).toBe('SLUICE_TOKEN_INVALID');
      expect(code(() => store.add({ ...token('x'), id: 'NOT-HEX' }, 2))).toBe('SLUICE_TOKEN_INVALID');
      expect(code(() => store.add(token('x'), Number.NaN))).toBe('SLUICE_TOKEN_INVALID');
      expect(store.list().map((x) => x.name)).toEqual(['one']);
    });

    it('revokes once: the first time and actor stay, an unknown id gives undefined', () => {
      const t = token('temp', 'operator');
      store.add(t, 1);
      expect(store.revoke(t.id, 'alice', 10)).toMatchObject({ id: t.id, revokedAt: 10, revokedBy: 'alice' });
      expect(store.revoke(t.id, 'bob', 20)).toMatchObject({ revokedAt: 10, revokedBy: 'alice' });
      expect(store.get(t.id)).toMatchObject({ revokedAt: 10, revokedBy: 'alice', hash: t.hash });
      expect(store.revoke('abcdefabcdef', 'alice', 30)).toBeUndefined();
      expect(store.count()).toBe(1);
    });

    it('records the last use', () => {
      const t = token('reader');
      store.add(t, 1);
      store.touch(t.id, 50);
      store.touch('abcdefabcdef', 60);
      expect(store.get(t.id)!.lastUsedAt).toBe(50);
      expect(store.list()[0].lastUsedAt).toBe(50);
    });

    it('hands out copies: changing a returned token changes nothing stored', () => {
      const t = token('copy', 'viewer');
      store.add(t, 1);
      const got = store.get(t.id)!;
      got.role = 'admin';
      store.list()[0].name = 'changed';
      expect(store.get(t.id)).toMatchObject({ role: 'viewer', name: 'copy' });
    });

    it('fails clearly once closed', () => {
      store.close();
      expect(code(() => store.list())).toBe('SLUICE_TOKEN_STORE_CLOSED');
      expect(code(() => store.add(token('late'), 1))).toBe('SLUICE_TOKEN_STORE_CLOSED');
    });
  });
}
