/**
 * The behaviour every FlagStore must have, as one vitest suite; each
 * implementation's test calls runFlagStoreContract with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FlagSet } from '../spec/flagset-types.js';
import { StoreError } from './errors.js';
import type { ClientKeyRecord, FlagEventDraft, FlagStore } from './flag-store.js';

export function sampleFlagSet(name: string, environment = 'production', percent = 10): FlagSet {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlagSet',
    metadata: { name, environment, labels: { team: 'ünïcode ✓' } },
    spec: {
      segments: { staff: { conditions: [{ attribute: 'email', endsWith: '@example.com' }] } },
      flags: {
        'new-checkout': {
          type: 'boolean',
          variants: { on: true, off: false },
          enabled: true,
          defaultVariant: 'off',
          offVariant: 'off',
          rules: [{ name: 'nz', conditions: [{ attribute: 'country', equals: 'NZ' }], serve: 'on' }],
          split: { on: percent },
          salt: 'new-checkout',
          bucketBy: 'targetingKey',
        },
      },
    },
  };
}

const ev = (flag: string, message: string, actor = 'alice'): FlagEventDraft => ({ type: 'flag-updated', flag, message, actor, data: { percent: 10, nested: { list: [1, 'two'] } } });

const key = (id: string, environment = 'production', createdAt = 1): ClientKeyRecord => ({
  id, environment, name: `key ${id}`, hash: `hash-${id}`, hint: 'sk_abc', createdAt, createdBy: 'alice',
});

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(code);
    return;
  }
  throw new Error(`expected a StoreError with code ${code}`);
}

export function runFlagStoreContract(name: string, newStore: () => FlagStore): void {
  describe(`FlagStore contract: ${name}`, () => {
    let store: FlagStore;
    beforeEach(() => {
      store = newStore();
    });
    afterEach(() => store.close());

    it('saves a flag set with its events, and reads it back equal', () => {
      const set = sampleFlagSet('checkout');
      const { record, events } = store.saveFlagSet(set, [ev('new-checkout', 'created')], 0, 100);
      expect(record).toMatchObject({ environment: 'production', name: 'checkout', version: 1, createdAt: 100, updatedAt: 100, updatedBy: 'alice' });
      expect(record.flagSet).toEqual(set);
      expect(events).toEqual([{ seq: expect.any(Number), environment: 'production', flagSet: 'checkout', time: 100, ...ev('new-checkout', 'created') }]);
      expect(store.getFlagSet('production', 'checkout')).toEqual(record);
      expect(store.getFlagSet('staging', 'checkout')).toBeUndefined();
    });

    it('bumps versions, keeps createdAt, and refuses a stale expected version without writing', () => {
      store.saveFlagSet(sampleFlagSet('checkout'), [ev('new-checkout', 'v1')], 0, 100);
      const second = store.saveFlagSet(sampleFlagSet('checkout', 'production', 25), [ev('new-checkout', 'v2', 'bob')], 1, 200);
      expect(second.record).toMatchObject({ version: 2, createdAt: 100, updatedAt: 200, updatedBy: 'bob' });
      expectCode(() => store.saveFlagSet(sampleFlagSet('checkout', 'production', 50), [ev('new-checkout', 'stale')], 1, 300), 'SLUICE_STORE_CONFLICT');
      expectCode(() => store.saveFlagSet(sampleFlagSet('other'), [ev('x', 'new but expected 3')], 3, 300), 'SLUICE_STORE_CONFLICT');
      expect(store.getFlagSet('production', 'checkout')?.flagSet.spec.flags['new-checkout'].split).toEqual({ on: 25 });
      expect(store.flagEvents().map((e) => e.message)).toEqual(['v1', 'v2']);
    });

    it('lists sets by environment and name', () => {
      store.saveFlagSet(sampleFlagSet('b', 'production'), [ev('f', '1')], 0, 1);
      store.saveFlagSet(sampleFlagSet('a', 'staging'), [ev('f', '2')], 0, 2);
      store.saveFlagSet(sampleFlagSet('a', 'production'), [ev('f', '3')], 0, 3);
      expect(store.listFlagSets().map((r) => `${r.environment}/${r.name}`)).toEqual(['production/a', 'production/b', 'staging/a']);
      expect(store.listFlagSets('staging').map((r) => r.name)).toEqual(['a']);
    });

    it('filters history by environment and flag, pages with afterSeq and limit, and tracks each environment\'s revision', () => {
      expect(store.flagRevision('production')).toBe(0);
      store.saveFlagSet(sampleFlagSet('a'), [ev('f1', 'a'), ev('f2', 'b')], 0, 1);
      store.saveFlagSet(sampleFlagSet('a', 'staging'), [ev('f1', 'c')], 0, 2);
      store.saveFlagSet(sampleFlagSet('a'), [ev('f1', 'd')], 1, 3);
      expect(store.flagEvents({ environment: 'production', flag: 'f1' }).map((e) => e.message)).toEqual(['a', 'd']);
      const all = store.flagEvents();
      expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((x, y) => x - y));
      expect(store.flagEvents({ afterSeq: all[0].seq, limit: 2 }).map((e) => e.message)).toEqual(['b', 'c']);
      expect(store.flagRevision('production')).toBe(all[3].seq);
      expect(store.flagRevision('staging')).toBe(all[2].seq);
      // Key events do not change the definitions, so not the revision either.
      store.saveClientKey(key('k1'), { type: 'client-key-created', message: 'k', actor: 'alice' }, 4);
      expect(store.flagRevision('production')).toBe(all[3].seq);
    });

    it("knows who changed each flag last and when, per environment; set-level and key events name no flag", () => {
      expect(store.lastFlagChanges()).toEqual([]);
      store.saveFlagSet(sampleFlagSet('a'), [ev('f1', 'a', 'alice'), ev('f2', 'b', 'alice')], 0, 1);
      store.saveFlagSet(sampleFlagSet('a', 'staging'), [ev('f1', 'c', 'bob')], 0, 2);
      store.saveFlagSet(sampleFlagSet('a'), [ev('f1', 'd', 'carol')], 1, 3);
      store.saveFlagSet(sampleFlagSet('a'), [{ type: 'flag-updated', message: 'segments', actor: 'dave' }], 2, 4);
      store.saveClientKey(key('k1'), { type: 'client-key-created', message: 'k', actor: 'erin' }, 5);
      const seqOf = (message: string) => store.flagEvents().find((e) => e.message === message)!.seq;
      expect(store.lastFlagChanges('production')).toEqual([
        { environment: 'production', flag: 'f1', seq: seqOf('d'), time: 3, actor: 'carol' },
        { environment: 'production', flag: 'f2', seq: seqOf('b'), time: 1, actor: 'alice' },
      ]);
      expect(store.lastFlagChanges().map((c) => `${c.environment}/${c.flag} ${c.actor}`)).toEqual(['production/f1 carol', 'production/f2 alice', 'staging/f1 bob']);
    });

    it('deletes a set with its events; deleting a missing set writes nothing', () => {
      store.saveFlagSet(sampleFlagSet('a'), [ev('f', 'made')], 0, 1);
      const events = store.deleteFlagSet('production', 'a', [{ type: 'flagset-deleted', message: 'gone', actor: 'carol' }], 2);
      expect(events).toEqual([expect.objectContaining({ type: 'flagset-deleted', flagSet: 'a', actor: 'carol', time: 2 })]);
      expect(store.getFlagSet('production', 'a')).toBeUndefined();
      expect(store.deleteFlagSet('production', 'a', [{ type: 'flagset-deleted', message: 'again', actor: 'carol' }], 3)).toBeUndefined();
      expect(store.flagEvents().map((e) => e.message)).toEqual(['made', 'gone']);
      expect(store.flagRevision('production')).toBe(events![0].seq);
    });

    it('requires an actor on every event', () => {
      expectCode(() => store.saveFlagSet(sampleFlagSet('a'), [{ type: 'flag-updated', message: 'x', actor: '' }], 0, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expect(store.getFlagSet('production', 'a')).toBeUndefined();
    });

    it('keeps client keys by hash, lists them per environment, revokes once', () => {
      store.saveClientKey(key('k1', 'production', 10), { type: 'client-key-created', message: 'k1', actor: 'alice' }, 10);
      store.saveClientKey(key('k2', 'staging', 20), { type: 'client-key-created', message: 'k2', actor: 'alice' }, 20);
      expect(store.clientKeyByHash('hash-k1')).toEqual(key('k1', 'production', 10));
      expect(store.clientKeyByHash('nope')).toBeUndefined();
      expect(store.listClientKeys().map((k) => k.id)).toEqual(['k1', 'k2']);
      expect(store.listClientKeys('staging').map((k) => k.id)).toEqual(['k2']);
      expectCode(() => store.saveClientKey(key('k1'), { type: 'client-key-created', message: 'dup', actor: 'alice' }, 30), 'SLUICE_STORE_CONFLICT');
      expect(store.revokeClientKey('k1', { type: 'client-key-revoked', message: 'revoked', actor: 'bob' }, 40)).toBe(true);
      expect(store.revokeClientKey('k1', { type: 'client-key-revoked', message: 'again', actor: 'bob' }, 41)).toBe(false);
      expect(store.revokeClientKey('zz', { type: 'client-key-revoked', message: 'none', actor: 'bob' }, 41)).toBe(false);
      expect(store.getClientKey('k1')?.revokedAt).toBe(40);
      expect(store.flagEvents({ environment: 'production' }).map((e) => [e.type, e.actor, e.flagSet])).toEqual([
        ['client-key-created', 'alice', undefined],
        ['client-key-revoked', 'bob', undefined],
      ]);
    });

    it('returns copies: changing a returned record changes nothing stored', () => {
      store.saveFlagSet(sampleFlagSet('a'), [ev('f', 'x')], 0, 1);
      const got = store.getFlagSet('production', 'a')!;
      got.flagSet.spec.flags['new-checkout'].enabled = false;
      expect(store.getFlagSet('production', 'a')!.flagSet.spec.flags['new-checkout'].enabled).toBe(true);
    });

    it('refuses use after close', () => {
      store.close();
      expectCode(() => store.listFlagSets(), 'SLUICE_STORE_CLOSED');
      store = newStore();
    });
  });
}
