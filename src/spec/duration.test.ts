import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DURATION_ERROR_CODE, DURATION_PATTERN, DurationError, formatDuration, parseDuration, tryParseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1m500ms', 60_500],
    ['1.5s', 1_500],
    ['0s', 0],
    [30, 30_000],
    [0.5, 500],
    [0, 0],
  ] as const)('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    ['-30s', 'must not be negative, got "-30s"'],
    [-5, 'must not be negative, got -5'],
    [Number.NaN, 'must be a number of seconds, got NaN'],
    ['5x', 'has unknown unit "x" in "5x" (units: ms, s, m, h)'],
    ['1d', 'has unknown unit "d" in "1d" (units: ms, s, m, h)'],
    ['30', 'has no unit in "30"; write 30s for seconds, or a number without quotes'],
    ['1h30', 'is missing a unit after 30 in "1h30" (units: ms, s, m, h)'],
    ['', 'is empty'],
    [' 30s', 'has spaces around it in " 30s"'],
    ['s', 'cannot read "s"'],
    ['1e3s', 'has unknown unit "e" in "1e3s" (units: ms, s, m, h)'],
    ['99999999999999999999h', 'is too long, got "99999999999999999999h"'],
    [1e300, 'is too long, got 1e+300'],
  ] as const)('rejects %j: %s', (input, message) => {
    const result = tryParseDuration(input);
    expect(result).toEqual({ ok: false, message });
    expect(() => parseDuration(input)).toThrow(`duration ${message}; expected a duration such as 30s, 5m or 1h30m`);
  });

  it('throws a typed error with a stable code', () => {
    const error = (() => {
      try {
        parseDuration('soon');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DurationError);
    expect((error as DurationError).code).toBe(DURATION_ERROR_CODE);
  });

  it('rejects values that are neither strings nor numbers', () => {
    expect(tryParseDuration(null)).toEqual({ ok: false, message: 'must be a string or a number of seconds, got null' });
    expect(tryParseDuration({})).toEqual({ ok: false, message: 'must be a string or a number of seconds, got a mapping' });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_000, '1s'],
    [1_500, '1s500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [90_061_001, '25h1m1s1ms'],
    [-90_000, '-1m30s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration and matches the published pattern', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        const text = formatDuration(ms);
        expect(DURATION_PATTERN.test(text)).toBe(true);
        expect(parseDuration(text)).toBe(ms);
      }),
    );
  });
});
