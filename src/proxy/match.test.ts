import { describe, expect, it } from 'vitest';
import type { MatchRule } from '../routers/routing.js';
import { MAX_REGEX_INPUT } from '../routers/linear-regex.js';
import { compileCondition, compileMatch, REGEX_MEMO_SIZE } from './match.js';

describe('compileCondition', () => {
  it.each([
    [{ exact: 'v2' }, 'v2', true],
    [{ exact: 'v2' }, 'v2.1', false],
    [{ exact: '' }, '', true],
    [{ prefix: 'v2' }, 'v2.1', true],
    [{ prefix: 'v2' }, 'v1', false],
    [{ prefix: '' }, 'anything', true],
    [{ regex: '^v[0-9]+\\.' }, 'v12.3', true],
    [{ regex: '^v[0-9]+\\.' }, 'xv12.3', false],
    [{ regex: 'beta' }, 'a beta tester', true],
  ])('%j on %j is %s', (m, value, expected) => {
    expect(compileCondition(m)(value)).toBe(expected);
  });

  it('runs a pattern that backtracks catastrophically in linear time', () => {
    const test = compileCondition({ regex: '^(a|aa)*b$' });
    const started = process.hrtime.bigint();
    expect(test('a'.repeat(MAX_REGEX_INPUT))).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(100);
  });

  it('answers the same for a value it remembers and after its memory filled up and started afresh', () => {
    const test = compileCondition({ regex: '^user-[0-9]*7$' });
    const values = Array.from({ length: REGEX_MEMO_SIZE * 2 + 10 }, (_, i) => `user-${i}`);
    const first = values.map(test);
    expect(values.map(test)).toEqual(first);
    expect(first.filter(Boolean).length).toBe(values.filter((v) => v.endsWith('7')).length);
  });

  it('never matches a regex on a value longer than the input cap', () => {
    const test = compileCondition({ regex: '^a+$' });
    expect(test('a'.repeat(MAX_REGEX_INPUT))).toBe(true);
    expect(test('a'.repeat(MAX_REGEX_INPUT + 1))).toBe(false);
  });
});

describe('compileMatch', () => {
  const rules: MatchRule[] = [
    { headers: { 'x-a': { exact: '1' }, 'x-b': { exact: '2' } } },
    { cookies: { c: { prefix: 'y' } }, query: { q: { exact: 'z' } } },
  ];
  const matches = compileMatch(rules)!;

  it.each([
    ['all headers of the first rule', { 'x-a': '1', 'x-b': '2' }, '/', true],
    ['one header of the first rule', { 'x-a': '1' }, '/', false],
    ['cookie and query of the second rule', { cookie: 'c=yes' }, '/p?q=z', true],
    ['the cookie without the query', { cookie: 'c=yes' }, '/p?x=z', false],
    ['the query without the cookie', {}, '/p?q=z', false],
    ['a query after a fragment marker', { cookie: 'c=yes' }, '/p?r=1#q=z', false],
    ['repeated header values joined', { 'x-a': ['1'], 'x-b': '2' }, '/', true],
  ])('%s: %s', (_what, headers, url, expected) => {
    expect(matches({ headers, url })).toBe(expected);
  });

  it('is undefined without rules', () => {
    expect(compileMatch(undefined)).toBeUndefined();
    expect(compileMatch([])).toBeUndefined();
  });
});
