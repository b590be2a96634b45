import { describe, expect, it } from 'vitest';
import { conditionText, conditionsText, ruleText, scalar, servingText, splitShares, splitText } from './words.js';
import type { Condition } from '../../web/src/types.js';

/** The dashboard's flags page in words: every operator a FlagSet condition may hold (src/spec/flagset-types.ts). */
describe('flag definitions in words', () => {
  it.each<[Condition, string]>([
    [{ attribute: 'country', equals: 'NZ' }, 'country equals NZ'],
    [{ attribute: 'country', notEquals: 'NZ' }, 'country does not equal NZ'],
    [{ attribute: 'plan', in: ['pro', 'team'] }, 'plan is one of [pro, team]'],
    [{ attribute: 'plan', notIn: ['free'] }, 'plan is not one of [free]'],
    [{ attribute: 'email', endsWith: '@example.com' }, 'email ends with @example.com'],
    [{ attribute: 'email', endsWith: ['@a.io', '@b.io'] }, 'email ends with any of [@a.io, @b.io]'],
    [{ attribute: 'path', startsWith: ['/beta'] }, 'path starts with /beta'],
    [{ attribute: 'groups', contains: 'staff' }, 'groups contains staff'],
    [{ attribute: 'name', matches: '^a.*z$' }, 'name matches /^a.*z$/'],
    [{ attribute: 'age', gt: 17 }, 'age > 17'],
    [{ attribute: 'age', gte: 18 }, 'age ≥ 18'],
    [{ attribute: 'cart.total', lt: 100.5 }, 'cart.total < 100.5'],
    [{ attribute: 'seats', lte: 5 }, 'seats ≤ 5'],
    [{ attribute: 'app.version', semverEq: '2.0.0' }, 'app.version is version 2.0.0'],
    [{ attribute: 'app.version', semverGt: '2.0.0' }, 'app.version is a version above 2.0.0'],
    [{ attribute: 'app.version', semverGte: '2.1.0' }, 'app.version is version 2.1.0 or above'],
    [{ attribute: 'app.version', semverLt: '3.0.0-rc.1' }, 'app.version is a version below 3.0.0-rc.1'],
    [{ attribute: 'app.version', semverLte: '1.9.9' }, 'app.version is version 1.9.9 or below'],
    [{ attribute: 'signedUp', before: '2025-01-01T00:00:00Z' }, 'signedUp is before 2025-01-01T00:00:00Z'],
    [{ attribute: 'signedUp', after: '2024-06-30' }, 'signedUp is after 2024-06-30'],
    [{ attribute: 'country', equals: 'NZ', not: true }, 'not (country equals NZ)'],
    [{ segment: 'beta-testers' }, 'in segment beta-testers'],
    [{ segment: 'staff', not: true }, 'not in segment staff'],
  ])('%j → %s', (condition, text) => {
    expect(conditionText(condition)).toBe(text);
  });

  it('quotes operands only when bare text would mislead: spaces, empty, numbers or booleans as strings', () => {
    expect([scalar('NZ'), scalar('New Zealand'), scalar(''), scalar('42'), scalar(42), scalar('true'), scalar(true), scalar('Zürich')]).toEqual(['NZ', '"New Zealand"', '""', '"42"', '42', '"true"', 'true', 'Zürich']);
    expect(conditionText({ attribute: 'id', in: ['7', 7] })).toBe('id is one of ["7", 7]');
  });

  it('joins a rule\'s conditions with "and" and says what it serves, or its split with the rest to the default variant', () => {
    const rule = { name: 'nz-pro', conditions: [{ attribute: 'country', equals: 'NZ' }, { attribute: 'plan', in: ['pro', 'team'] }] as Condition[], serve: 'on' };
    expect(ruleText(rule, 'off')).toBe('If country equals NZ and plan is one of [pro, team] → serve on');
    expect(ruleText({ name: 'half', conditions: [{ segment: 'beta' }], split: { on: 50 } }, 'off')).toBe('If in segment beta → split on 50% · off 50%');
    expect(ruleText({ name: 'all', conditions: [], serve: 'blue' }, 'off')).toBe('Everyone → serve blue');
    expect(conditionsText([])).toBe('everyone');
  });

  it('lays out splits in bucket order, giving what is left to the default variant (merged when the split names it)', () => {
    expect(splitShares({ on: 25 }, 'off')).toEqual([{ variant: 'on', percent: 25, rest: false }, { variant: 'off', percent: 75, rest: true }]);
    expect(splitShares({ a: 33.333, b: 33.333 }, 'c').map((s) => s.percent)).toEqual([33.333, 33.333, 33.334]);
    expect(splitShares({ on: 10, off: 20 }, 'off')).toEqual([{ variant: 'on', percent: 10, rest: false }, { variant: 'off', percent: 90, rest: true }]);
    expect(splitShares({ on: 100 }, 'off')).toEqual([{ variant: 'on', percent: 100, rest: false }]);
    expect(splitShares(undefined, 'off')).toEqual([{ variant: 'off', percent: 100, rest: true }]);
    expect(splitText({ on: 12.5 }, 'off')).toBe('on 12.5% · off 87.5%');
  });

  it('says what a flag serves to users no rule matches: the off variant when off, else the split or the default', () => {
    expect(servingText({ enabled: false, offVariant: 'off', defaultVariant: 'on', split: { on: 5 } })).toBe('off to everyone (off)');
    expect(servingText({ enabled: true, offVariant: 'off', defaultVariant: 'off', split: { on: 25 } })).toBe('on 25% · off 75%');
    expect(servingText({ enabled: true, offVariant: 'off', defaultVariant: 'off' })).toBe('off to everyone');
    expect(servingText({ enabled: true, offVariant: 'off', defaultVariant: 'off', split: {} })).toBe('off to everyone');
    expect(servingText({ enabled: true, offVariant: 'off', defaultVariant: 'off', split: { on: 100 } })).toBe('on to everyone');
  });
});
