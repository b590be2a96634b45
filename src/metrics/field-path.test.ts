import { describe, expect, it } from 'vitest';
import { formatFieldPath, lookup, parseFieldPath } from './field-path.js';

describe('parseFieldPath', () => {
  it.each<[string, Array<string | number>]>([
    ['data.ratio', ['data', 'ratio']],
    ['ratio', ['ratio']],
    ['data.items[0].value', ['data', 'items', 0, 'value']],
    ['items[12][3]', ['items', 12, 3]],
    ['data["p99.9"]', ['data', 'p99.9']],
    ["data['a b']", ['data', 'a b']],
    ['data["quo\\"te"]', ['data', 'quo"te']],
    ['$.data.ratio', ['data', 'ratio']],
    ['$[0].x', [0, 'x']],
    ['  data.ratio  ', ['data', 'ratio']],
    ['error_rate-5m', ['error_rate-5m']],
  ])('%s', (text, segments) => {
    expect(parseFieldPath(text)).toEqual({ ok: true, segments });
  });

  it.each<[string, string]>([
    ['', 'is empty'],
    ['$', 'is empty'],
    ['data.', 'ends with "."'],
    ['data..ratio', 'has an unexpected "." (at character 6)'],
    ['.data', 'has an unexpected "." (at character 1)'],
    ['data[x]', 'has an unexpected "[" (at character 5)'],
    ['data[0', 'has an unexpected "[" (at character 5)'],
    ['data ratio', 'has an unexpected " " (at character 5)'],
    ['data["open]', 'has an unexpected "[" (at character 5)'],
  ])('%s is refused: %s', (text, problem) => {
    const r = parseFieldPath(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(problem);
      expect(r.message).toContain('write it like data.ratio');
    }
  });
});

describe('lookup', () => {
  const doc = { data: { ratio: 0.99, items: [{ value: 3 }], 'p99.9': 7, nothing: null }, list: [] };

  it.each<[Array<string | number>, unknown]>([
    [['data', 'ratio'], 0.99],
    [['data', 'items', 0, 'value'], 3],
    [['data', 'p99.9'], 7],
    [['data', 'nothing'], null],
  ])('finds %j', (segments, value) => {
    expect(lookup(doc, segments)).toEqual({ found: true, value });
  });

  it.each<[Array<string | number>, string]>([
    [['data', 'ratoi'], 'data has no field "ratoi" (it has ratio, items, p99.9, nothing)'],
    [['missing'], 'the response has no field "missing" (it has data, list)'],
    [['data', 'items', 1], 'data.items has 1 item, so it has no [1]'],
    [['data', 'ratio', 'x'], 'data.ratio is a number (0.99), not an object, so it has no field "x"'],
    [['data', 0], 'data is an object, not a list, so it has no [0]'],
    [['list', 'a'], 'list is a list, not an object, so it has no field "a"'],
    [['data', 'nothing', 'x'], 'data.nothing is null, not an object, so it has no field "x"'],
  ])('says where %j stops matching', (segments, message) => {
    expect(lookup(doc, segments)).toEqual({ found: false, message });
  });

  it('does not find inherited properties', () => {
    expect(lookup({}, ['constructor']).found).toBe(false);
  });
});

describe('formatFieldPath', () => {
  it('spells paths canonically', () => {
    expect(formatFieldPath(['data', 'items', 0, 'p99.9'])).toBe('data.items[0]["p99.9"]');
  });
});
