import { describe, expect, it } from 'vitest';
import { sampleFlagSet } from '../store/flag-store-contract.js';
import { MemoryFlagStore } from '../store/flag-store-memory.js';
import type { FlagSet } from '../spec/flagset-types.js';
import { FlagService, type FlagChange } from './service.js';
import { flagErrorOf } from './testing.js';

function setup() {
  let t = 1_000;
  const store = new MemoryFlagStore();
  const service = new FlagService({ store, now: () => ++t });
  const changes: FlagChange[] = [];
  service.subscribe((c) => changes.push(c));
  return { store, service, changes };
}

function withFlag(set: FlagSet, key: string): FlagSet {
  const copy = structuredClone(set);
  copy.spec.flags[key] = { ...copy.spec.flags['new-checkout'], salt: key };
  return copy;
}

const codeOf = (fn: () => unknown): string => flagErrorOf(fn).code;

describe('FlagService.apply', () => {
  it('creates, updates flag by flag with events, and leaves an identical document alone', () => {
    const { service, changes } = setup();
    const first = service.apply([sampleFlagSet('checkout')], 'alice');
    expect(first).toEqual([{ environment: 'production', name: 'checkout', outcome: 'created', changes: [{ flag: 'new-checkout', change: 'created', message: expect.stringContaining('created') }] }]);
    expect(service.apply([sampleFlagSet('checkout')], 'alice')[0]).toMatchObject({ outcome: 'unchanged', changes: [] });
    const second = service.apply([withFlag(sampleFlagSet('checkout', 'production', 25), 'dark-mode')], 'bob');
    expect(second[0].changes.map((c) => [c.flag, c.change, c.message])).toEqual([
      ['new-checkout', 'updated', 'flag "new-checkout": split on 10% → on 25%'],
      ['dark-mode', 'created', expect.any(String)],
    ]);
    expect(service.history('production', 'new-checkout').map((e) => [e.type, e.actor])).toEqual([['flag-created', 'alice'], ['flag-updated', 'bob']]);
    expect(changes.map((c) => [c.environment, c.flags, c.actor])).toEqual([['production', ['new-checkout'], 'alice'], ['production', ['new-checkout', 'dark-mode'], 'bob']]);
    expect(changes[1].revision).toBeGreaterThan(changes[0].revision);
  });

  it('deletes flags a re-applied set leaves out', () => {
    const { service } = setup();
    service.apply([withFlag(sampleFlagSet('checkout'), 'dark-mode')], 'alice');
    const [r] = service.apply([sampleFlagSet('checkout')], 'alice');
    expect(r.changes).toEqual([{ flag: 'dark-mode', change: 'deleted', message: 'flag "dark-mode" deleted' }]);
    expect(service.flags({ environment: 'production' }).map((f) => f.key)).toEqual(['new-checkout']);
  });

  it('refuses a key owned by another set of the environment, and writes nothing', () => {
    const { service } = setup();
    service.apply([sampleFlagSet('checkout')], 'alice');
    expect(codeOf(() => service.apply([sampleFlagSet('other')], 'bob'))).toBe('SLUICE_FLAG_KEY_TAKEN');
    expect(codeOf(() => service.apply([sampleFlagSet('x', 'staging'), sampleFlagSet('y', 'staging')], 'bob'))).toBe('SLUICE_FLAG_KEY_TAKEN');
    expect(service.flagSets().map((r) => `${r.environment}/${r.name}`)).toEqual(['production/checkout']);
    // Another environment may reuse the key, and a key can move between sets applied together.
    service.apply([sampleFlagSet('other', 'staging')], 'bob');
    const emptied = { ...sampleFlagSet('checkout'), spec: { segments: {}, flags: {} } };
    service.apply([emptied, sampleFlagSet('other')], 'bob');
    expect(service.flag('production', 'new-checkout').flagSet).toBe('other');
  });
});

describe('FlagService.setFlag', () => {
  it('ramps a split, switches off and on, each an event naming the actor', () => {
    const { service, changes } = setup();
    service.apply([sampleFlagSet('checkout')], 'alice');
    const ramp = service.setFlag('production', 'new-checkout', { variant: 'on', percent: 25 }, 'guard');
    expect(ramp.changed).toBe(true);
    expect(ramp.flag.definition.split).toEqual({ on: 25 });
    expect(ramp.event).toMatchObject({ type: 'flag-updated', actor: 'guard', message: 'flag "new-checkout": split on 10% → on 25%' });
    expect(service.setFlag('production', 'new-checkout', { percent: 50 }, 'carol').flag.definition.split).toEqual({ on: 50 });
    expect(service.setFlag('production', 'new-checkout', { enabled: false }, 'dave').event?.message).toBe('flag "new-checkout": turned off (serving "off")');
    expect(service.setFlag('production', 'new-checkout', { enabled: false }, 'dave').changed).toBe(false);
    expect(service.setFlag('production', 'new-checkout', { variant: 'on' }, 'erin').flag.definition).toMatchObject({ enabled: false, split: { on: 100 } });
    expect(service.setFlag('production', 'new-checkout', { variant: 'off' }, 'erin').flag.definition.split).toBeUndefined();
    expect(service.history('production', 'new-checkout').map((e) => e.actor)).toEqual(['alice', 'guard', 'carol', 'dave', 'erin', 'erin']);
    expect(changes).toHaveLength(6);
    // The snapshot follows.
    expect(service.snapshot('production').compiled.evaluate('new-checkout', { targetingKey: 'u' }).reason).toBe('DISABLED');
  });

  it('says who changed each flag last and when, not who last touched its flag set', () => {
    const { service } = setup();
    service.apply([withFlag(sampleFlagSet('checkout'), 'dark-mode')], 'alice');
    const created = service.flag('production', 'dark-mode');
    expect([created.updatedBy, service.flag('production', 'new-checkout').updatedBy]).toEqual(['alice', 'alice']);
    const set = service.setFlag('production', 'new-checkout', { percent: 40 }, 'bob');
    expect([set.flag.updatedBy, set.flag.updatedAt]).toEqual(['bob', set.event!.time]);
    expect(service.flags({ environment: 'production' }).map((f) => [f.key, f.updatedBy, f.updatedAt])).toEqual([
      ['dark-mode', 'alice', created.updatedAt],
      ['new-checkout', 'bob', set.event!.time],
    ]);
    // The flag set itself moved on: its version is what a concurrent change is checked against.
    expect(service.flag('production', 'dark-mode').version).toBe(2);
  });

  it('rejects impossible changes with a reason', () => {
    const { service } = setup();
    service.apply([sampleFlagSet('checkout')], 'alice');
    expect(codeOf(() => service.setFlag('production', 'nope', { enabled: true }, 'a'))).toBe('SLUICE_FLAG_NOT_FOUND');
    expect(codeOf(() => service.setFlag('production', 'new-checkout', { variant: 'maybe' }, 'a'))).toBe('SLUICE_FLAG_INVALID_CHANGE');
    expect(codeOf(() => service.setFlag('production', 'new-checkout', { variant: 'on', percent: 101 }, 'a'))).toBe('SLUICE_FLAG_INVALID_CHANGE');
    expect(codeOf(() => service.setFlag('production', 'new-checkout', { variant: 'off', percent: 30 }, 'a'))).toBe('SLUICE_FLAG_INVALID_CHANGE');
    expect(codeOf(() => service.setFlag('production', 'new-checkout', {}, 'a'))).toBe('SLUICE_FLAG_INVALID_CHANGE');
  });

  it('names the nearest flag or environment when a key or environment is misspelt', () => {
    const { service } = setup();
    service.apply([sampleFlagSet('checkout')], 'alice');
    expect(() => service.flag('production', 'new-chekout')).toThrow(/^no flag "new-chekout" in environment "production" \(did you mean "new-checkout"\?\); `sluice flags get --environment production` lists them$/);
    expect(() => service.flag('production', 'zzzz')).toThrow(/^no flag "zzzz" in environment "production"; /);
    expect(() => service.flag('prodution', 'new-checkout')).toThrow(/^no environment "prodution" \(did you mean "production"\?\); environments with flags: production$/);
  });
});

describe('FlagService snapshots and client keys', () => {
  it('caches a compiled snapshot per environment until a change, with a new ETag after it', () => {
    const { service } = setup();
    const empty = service.snapshot('production');
    expect(empty).toMatchObject({ revision: 0, flagSets: [] });
    service.apply([sampleFlagSet('checkout')], 'alice');
    const a = service.snapshot('production');
    expect(service.snapshot('production')).toBe(a);
    expect(a.etag).not.toBe(empty.etag);
    service.setFlag('production', 'new-checkout', { percent: 20 }, 'bob');
    expect(service.snapshot('production').etag).not.toBe(a.etag);
    expect(service.snapshot('staging').revision).toBe(0);
  });

  it('creates keys shown once, authenticates them, and forgets them when revoked', () => {
    const { service } = setup();
    const { key, secret } = service.createClientKey('production', 'web app', 'alice');
    expect(secret).toMatch(/^sluice_ck_[A-Za-z0-9_-]{32}$/);
    expect(key).not.toHaveProperty('hash');
    expect(JSON.stringify(service.clientKeys())).not.toContain(secret);
    expect(service.authenticate(secret)?.environment).toBe('production');
    expect(service.authenticate(secret + 'x')).toBeUndefined();
    const token = service.streamToken(service.authenticate(secret)!);
    expect(service.authenticateStreamToken(token)?.id).toBe(key.id);
    expect(service.authenticateStreamToken(token.slice(0, -2) + 'xx')).toBeUndefined();
    expect(service.revokeClientKey(key.id, 'bob').revokedAt).toBeDefined();
    expect(service.authenticate(secret)).toBeUndefined();
    expect(service.authenticateStreamToken(token)).toBeUndefined();
    expect(service.events({ environment: 'production' }).map((e) => [e.type, e.actor])).toEqual([['client-key-created', 'alice'], ['client-key-revoked', 'bob']]);
  });
});
