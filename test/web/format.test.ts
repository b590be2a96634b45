import { describe, expect, it } from 'vitest';
import { clock, dateTime, zone } from '../../web/src/format.js';

const T = Date.UTC(2026, 6, 26, 23, 44, 17); // 2026-07-26 23:44:17 UTC, summer time in the north

describe('times with their zone', () => {
  it('names UTC as UTC', () => {
    expect(dateTime(T, 'UTC')).toBe('2026-07-26 23:44:17 UTC');
    expect(dateTime('2026-01-02T03:04:05.000Z', 'Etc/UTC')).toBe('2026-01-02 03:04:05 UTC');
  });

  it('shows the wall clock of the zone with its offset, past midnight into the next day', () => {
    expect(dateTime(T, 'Europe/London')).toBe('2026-07-27 00:44:17 UTC+1');
    expect(dateTime(T, 'Asia/Kolkata')).toBe('2026-07-27 05:14:17 UTC+5:30');
    expect(dateTime(T, 'America/New_York')).toBe('2026-07-26 19:44:17 UTC−4');
    // Winter: the offset follows the date, not today's rule.
    expect(dateTime(Date.UTC(2026, 0, 15, 12, 0, 0), 'America/New_York')).toBe('2026-01-15 07:00:00 UTC−5');
  });

  it('writes midnight as 00, not 24', () => {
    expect(clock(Date.UTC(2026, 6, 26, 0, 0, 5), 'UTC')).toBe('00:00:05');
  });

  it('gives the zone alone for a clock shown without a date', () => {
    expect(clock(T, 'Asia/Kolkata')).toBe('05:14:17');
    expect(zone(T, 'Asia/Kolkata')).toBe('UTC+5:30');
    expect(zone(T, 'UTC')).toBe('UTC');
  });

  it('uses the local zone when none is given, and says which', () => {
    expect(dateTime(T)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC([+−]\d{1,2}(:\d\d)?)?$/);
    expect(dateTime(T)).toBe(dateTime(T, Intl.DateTimeFormat().resolvedOptions().timeZone));
  });
});
