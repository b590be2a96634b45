import { describe, expect, it } from 'vitest';
import type { AttributeCondition, ConditionOperator, Operand } from '../spec/flagset-types.js';
import { attributeReader, compileCondition, compileConditions } from './conditions.js';
import { regexProblem } from './safe-regex.js';
import { compareSemVer, parseSemVer } from './semver.js';

const test = (op: ConditionOperator, operand: Operand, value: unknown, not = false): boolean =>
  compileCondition({ attribute: 'a', [op]: operand, ...(not ? { not } : {}) } as AttributeCondition, {})({ a: value });

describe('condition operators', () => {
  it.each<[ConditionOperator, Operand, unknown, boolean]>([
    ['equals', 'NZ', 'NZ', true],
    ['equals', 'NZ', 'nz', false],
    ['equals', 'NZ', undefined, false],
    ['equals', 3, 3, true],
    ['equals', 3, '3', true],
    ['equals', 3, '3x', false],
    ['equals', true, true, true],
    ['equals', true, 'true', false],
    ['notEquals', 'NZ', 'AU', true],
    ['notEquals', 'NZ', 'NZ', false],
    ['notEquals', 'NZ', undefined, false],
    ['in', ['NZ', 'AU'], 'AU', true],
    ['in', ['NZ', 'AU'], 'US', false],
    ['in', [1, 2], '2', true],
    ['in', [1, 2], 2, true],
    ['notIn', ['NZ'], 'AU', true],
    ['notIn', ['NZ'], 'NZ', false],
    ['notIn', ['NZ'], undefined, false],
    ['startsWith', 'user-', 'user-1', true],
    ['startsWith', ['a', 'b'], 'bob', true],
    ['startsWith', 'user-', 5, false],
    ['endsWith', '@example.com', 'ann@example.com', true],
    ['endsWith', '@example.com', 'ann@example.org', false],
    ['contains', 'beta', 'closed-beta-2', true],
    ['contains', 'beta', ['staff', 'beta'], true],
    ['contains', 'beta', ['staff'], false],
    ['contains', 7, [1, 7], true],
    ['matches', '^[a-z]+@example\\.com$', 'ann@example.com', true],
    ['matches', '^[a-z]+@example\\.com$', 'Ann@example.com', false],
    ['matches', 'x', 'x'.repeat(1001), false],
    ['gt', 10, 11, true],
    ['gt', 10, 10, false],
    ['gte', 10, 10, true],
    ['gte', 10, '10.5', true],
    ['lt', 10, 9.99, true],
    ['lt', 10, 'abc', false],
    ['lte', 10, 10, true],
    ['lt', 10, '', false],
    ['semverEq', '1.2.3', 'v1.2.3', true],
    ['semverEq', '1.2.3', '1.2.3+build.5', true],
    ['semverGt', '2.0.0', '2.0.1', true],
    ['semverGt', '2.0.0', '2.0.0-rc.1', false],
    ['semverGte', '2.4.0', '2.10.0', true],
    ['semverLt', '1.0.0', '1.0.0-alpha', true],
    ['semverLte', '1.0.0', 'not-a-version', false],
    ['before', '2025-01-01', '2024-12-31T23:59:59Z', true],
    ['before', '2025-01-01', new Date('2025-06-01'), false],
    ['after', '2025-01-01', Date.parse('2025-01-02'), true],
    ['after', '2025-01-01', 'garbage', false],
  ])('%s %j on %j → %s', (op, operand, value, expected) => {
    expect(test(op, operand, value)).toBe(expected);
  });

  it('"not" inverts, so a missing attribute then matches', () => {
    expect(test('equals', 'NZ', undefined, true)).toBe(true);
    expect(test('equals', 'NZ', 'NZ', true)).toBe(false);
  });

  it('reads exact names first, then dotted paths into nested objects', () => {
    expect(attributeReader('user.plan')({ user: { plan: 'pro' } })).toBe('pro');
    expect(attributeReader('user.plan')({ 'user.plan': 'flat', user: { plan: 'pro' } })).toBe('flat');
    expect(attributeReader('user.plan.x')({ user: 'str' })).toBeUndefined();
  });

  it('combines conditions with AND, segments included', () => {
    const segments = { staff: { conditions: [{ attribute: 'email', endsWith: '@example.com' }] } };
    const all = compileConditions([{ segment: 'staff' }, { attribute: 'country', in: ['NZ'] }, { attribute: 'age', gte: 18 }], segments);
    expect(all({ email: 'a@example.com', country: 'NZ', age: 30 })).toBe(true);
    expect(all({ email: 'a@example.com', country: 'NZ', age: 17 })).toBe(false);
    expect(all({ email: 'a@other.com', country: 'NZ', age: 30 })).toBe(false);
    expect(compileConditions([{ segment: 'staff', not: true }], segments)({ email: 'a@other.com' })).toBe(true);
    expect(compileConditions([], {})({})).toBe(true);
  });
});

describe('regex safety', () => {
  it.each([
    ['^[a-z0-9._%+-]+@example\\.com$', undefined],
    ['(foo|bar)?baz', undefined],
    ['(a+)+$', undefined],
    ['(a)\\1', /linear time/],
    ['(?=a)b', /linear time/],
    ['[', /not a valid regular expression/],
    ['a'.repeat(257), /at most 256 characters/],
  ])('%s', (pattern, problem) => {
    const found = regexProblem(pattern);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('matches a pattern that backtracks catastrophically elsewhere in linear time', () => {
    const test = compileCondition({ attribute: 'a', matches: '^(a+)+$' }, {});
    const started = performance.now();
    expect(test({ a: `${'a'.repeat(900)}b` })).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    expect(test({ a: 'aaaa' })).toBe(true);
  });
});

describe('semver', () => {
  it('orders versions by SemVer 2.0.0 precedence', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 1; i < ordered.length; i++) {
      expect(compareSemVer(parseSemVer(ordered[i - 1])!, parseSemVer(ordered[i])!), `${ordered[i - 1]} < ${ordered[i]}`).toBeLessThan(0);
      expect(compareSemVer(parseSemVer(ordered[i])!, parseSemVer(ordered[i - 1])!)).toBeGreaterThan(0);
    }
    expect(parseSemVer('01.2.3')).toBeUndefined();
    expect(parseSemVer('1.2')).toBeUndefined();
  });
});
