import { describeValue } from './spec-error.js';
import type { Millis } from './types.js';

/**
 * Durations as users write them: "500ms", "30s", "2m", "1h", "1h30m" (Go
 * style, each part a number and a unit), or a plain number of seconds.
 */

/** The string form accepted in documents; used for the JSON Schema too. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** What a person should write, appended to every duration error. */
export const DURATION_HINT = 'expected a duration such as 30s, 5m or 1h30m';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)([a-zA-Zµ]*)/y;

export type DurationResult = { ok: true; value: Millis } | { ok: false; message: string };

/** Stable code carried by {@link DurationError}. */
export const DURATION_ERROR_CODE = 'SLUICE_ERR_DURATION';

/** Thrown by {@link parseDuration} for text that is not a duration. */
export class DurationError extends Error {
  readonly code = DURATION_ERROR_CODE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DurationError';
  }
}

/**
 * Parses a duration to whole milliseconds without throwing. Zero is accepted
 * here; callers that need a positive duration check for it.
 */
export function tryParseDuration(input: unknown): DurationResult {
  if (typeof input === 'number') return fromSeconds(input);
  if (typeof input !== 'string') {
    return fail(`must be a string or a number of seconds, got ${describeValue(input)}`);
  }
  const text = input;
  if (text === '') return fail('is empty');
  if (text.trim() !== text) return fail(`has spaces around it in "${input}"`);
  if (text.startsWith('-')) return fail(`must not be negative, got "${input}"`);
  if (/^\d+(\.\d+)?$/.test(text)) return fail(`has no unit in "${input}"; write ${text}s for seconds, or a number without quotes`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null || match.index !== at) return fail(`cannot read "${input}"`);
    const [, amount, unit] = match;
    const factor = UNIT_MS[unit];
    if (unit === '') return fail(`is missing a unit after ${amount} in "${input}" (units: ms, s, m, h)`);
    if (factor === undefined) return fail(`has unknown unit "${unit}" in "${input}" (units: ms, s, m, h)`);
    total += Number(amount) * factor;
  }
  return finish(Math.round(total), input);
}

/**
 * Parses "1h30m", "500ms" or a number of seconds to milliseconds.
 * @throws DurationError when the input is not a duration.
 */
export function parseDuration(input: string | number): Millis {
  const result = tryParseDuration(input);
  if (!result.ok) throw new DurationError(`duration ${result.message}; ${DURATION_HINT}`);
  return result.value;
}

/** Formats milliseconds the way users write them: 90000 → "1m30s", 500 → "500ms", 0 → "0s". */
export function formatDuration(ms: Millis): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

function fromSeconds(seconds: number): DurationResult {
  if (Number.isNaN(seconds)) return fail('must be a number of seconds, got NaN');
  if (seconds < 0) return fail(`must not be negative, got ${seconds}`);
  return finish(Math.round(seconds * 1000), seconds);
}

function finish(ms: number, input: unknown): DurationResult {
  if (!Number.isSafeInteger(ms)) return fail(`is too long, got ${typeof input === 'string' ? `"${input}"` : String(input)}`);
  return { ok: true, value: ms };
}

function fail(message: string): DurationResult {
  return { ok: false, message };
}
