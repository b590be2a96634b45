import { FlagdCore } from '@openfeature/flagd-core';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { importFlagd } from './flagd-import.js';

const silent = { error() {}, warn() {}, info() {}, debug() {} };

const FLAGD = {
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  $evaluators: {
    isStaff: { ends_with: [{ var: 'email' }, '@example.com'] },
    staffOrBeta: { or: [{ ends_with: [{ var: 'email' }, '@example.com'] }, { in: ['beta', { var: 'groups' }] }] },
  },
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        if: [
          { '==': [{ var: 'country' }, 'NZ'] }, 'on',
          { $ref: 'isStaff' }, 'on',
          { and: [{ '>=': [{ var: 'age' }, 18] }, { '!': { in: [{ var: 'country' }, ['US', 'CA']] } }] }, 'on',
          'off',
        ],
      },
    },
    'header-color': {
      state: 'ENABLED',
      variants: { red: '#f00', green: '#0f0', blue: '#00f' },
      defaultVariant: 'red',
      targeting: {
        if: [
          { $ref: 'staffOrBeta' },
          { if: [{ sem_ver: [{ var: 'appVersion' }, '^', '2.1.0'] }, 'green', 'blue'] },
          { starts_with: [{ var: 'locale' }, 'fr'] }, 'blue',
        ],
      },
    },
    'limit': {
      state: 'DISABLED',
      variants: { low: 10, high: 100 },
      defaultVariant: 'low',
      targeting: { if: [{ '<': [1, { var: 'tier' }, 5] }, 'high', 'low'] },
    },
    'rollout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'email' }] }, ['on', 1], ['off', 2]] },
    },
    'scheduled': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ '>': [{ var: '$flagd.timestamp' }, 1700000000] }, 'on', 'off'] },
      metadata: { owner: 'web' },
    },
    'bad key!': { state: 'ENABLED', variants: { a: 1 }, defaultVariant: 'a' },
    'listy': { state: 'ENABLED', variants: { a: [1, 2] }, defaultVariant: 'a' },
  },
};

describe('flagd import', () => {
  const result = importFlagd(JSON.stringify(FLAGD), { name: 'imported', environment: 'staging' });
  const set = result.flagSet!;

  it('converts targeting into ordered rules, evaluators into segments, fractional into a split', () => {
    expect(set).toBeDefined();
    expect(set.metadata).toEqual({ name: 'imported', environment: 'staging' });
    expect(set.spec.segments).toEqual({ isStaff: { conditions: [{ attribute: 'email', endsWith: '@example.com' }] } });
    expect(set.spec.flags['new-checkout'].rules.map((r) => [r.conditions, r.serve])).toEqual([
      [[{ attribute: 'country', equals: 'NZ' }], 'on'],
      [[{ segment: 'isStaff' }], 'on'],
      [[{ attribute: 'age', gte: 18 }, { attribute: 'country', in: ['US', 'CA'], not: true }], 'on'],
    ]);
    expect(set.spec.flags['header-color'].rules.map((r) => [r.conditions, r.serve])).toEqual([
      [[{ attribute: 'email', endsWith: '@example.com' }, { attribute: 'appVersion', semverGte: '2.0.0-0' }, { attribute: 'appVersion', semverLt: '3.0.0-0' }], 'green'],
      [[{ attribute: 'email', endsWith: '@example.com' }], 'blue'],
      [[{ attribute: 'groups', contains: 'beta' }, { attribute: 'appVersion', semverGte: '2.0.0-0' }, { attribute: 'appVersion', semverLt: '3.0.0-0' }], 'green'],
      [[{ attribute: 'groups', contains: 'beta' }], 'blue'],
      [[{ attribute: 'locale', startsWith: 'fr' }], 'blue'],
    ]);
    expect(set.spec.flags.rollout).toMatchObject({ split: { on: 33.333, off: 66.667 }, bucketBy: 'email', defaultVariant: 'off' });
    expect(set.spec.flags.limit).toMatchObject({ enabled: false, offVariant: 'low', rules: [{ conditions: [{ attribute: 'tier', gt: 1 }, { attribute: 'tier', lt: 5 }], serve: 'high' }] });
  });

  it('reports everything it left out or that behaves differently', () => {
    const byFlag = (flag: string) => result.notes.filter((n) => n.flag === flag).map((n) => `${n.kind}: ${n.message}`);
    expect(byFlag('bad key!')).toEqual([expect.stringMatching(/^dropped: the key is not a valid Sluice flag key/)]);
    expect(byFlag('listy')).toEqual([expect.stringMatching(/^dropped: its variants must all be of one type/)]);
    expect(byFlag('scheduled')).toEqual([
      expect.stringMatching(/^dropped: its targeting was left out \(\$flagd\.timestamp has no Sluice equivalent/),
      'changed: its metadata was left out (Sluice flags carry a description only)',
    ]);
    expect(byFlag('limit')).toEqual([expect.stringMatching(/^changed: it is DISABLED/)]);
    expect(byFlag('rollout')).toEqual([expect.stringMatching(/^changed: its fractional split buckets users with Sluice's hash/)]);
    expect(byFlag('new-checkout')).toEqual([]);
    expect(Object.keys(set.spec.flags)).toEqual(['new-checkout', 'header-color', 'limit', 'rollout', 'scheduled']);
  });

  it('evaluates like flagd itself for every converted condition', () => {
    const core = new FlagdCore(undefined, silent);
    core.setConfigurations(JSON.stringify({ ...FLAGD, flags: { 'new-checkout': FLAGD.flags['new-checkout'], 'header-color': FLAGD.flags['header-color'] } }));
    const contexts = [];
    for (const country of ['NZ', 'US', 'FR', undefined]) {
      for (const email of ['a@example.com', 'b@other.org']) {
        for (const age of [17, 30]) {
          for (const groups of [['beta'], ['x']]) {
            for (const appVersion of ['1.9.9', '2.0.0-rc.1', '2.1.0', '2.9.1', '3.0.0']) {
              contexts.push({ targetingKey: 'u', country, email, age, groups, appVersion, locale: country === 'FR' ? 'fr-FR' : 'en-NZ' });
            }
          }
        }
      }
    }
    for (const ctx of contexts) {
      const clean = Object.fromEntries(Object.entries(ctx).filter(([, v]) => v !== undefined)) as Record<string, string | number | string[]>;
      expect(evaluate(set, 'new-checkout', clean).value, JSON.stringify(clean)).toBe(core.resolveBooleanEvaluation('new-checkout', false, clean, silent).value);
      expect(evaluate(set, 'header-color', clean).value, JSON.stringify(clean)).toBe(core.resolveStringEvaluation('header-color', 'x', clean, silent).value);
    }
  });

  it('refuses what is not flagd JSON', () => {
    expect(importFlagd('{', { name: 'a', environment: 'b' }).notes[0].message).toMatch(/^not JSON/);
    expect(importFlagd('{"flag": {}}', { name: 'a', environment: 'b' }).notes[0].message).toMatch(/expected an object with "flags"/);
  });
});
