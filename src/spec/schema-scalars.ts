import { DURATION_HINT, DURATION_PATTERN, tryParseDuration } from './duration.js';
import { INVALID, type JsonSchema, type Schema } from './schema.js';
import { describeValue } from './spec-error.js';
import { suggestName } from './suggest.js';
import type { Millis } from './types.js';

/** Scalar nodes of the format-definition language (see schema.ts). */

interface RangeOptions {
  description: string;
  min?: number;
  max?: number;
}

export function integer(opts: RangeOptions): Schema<number> {
  return numeric('integer', opts);
}

export function number(opts: RangeOptions): Schema<number> {
  return numeric('number', opts);
}

function numeric(kind: 'integer' | 'number', opts: RangeOptions): Schema<number> {
  const { min, max } = opts;
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  const expected = `must be ${kind === 'integer' ? 'an integer' : 'a number'}${range}`;
  return {
    description: opts.description,
    parse(value, path, issues) {
      const ok = typeof value === 'number' && Number.isFinite(value) && (kind === 'number' || Number.isInteger(value))
        && (min === undefined || value >= min) && (max === undefined || value <= max);
      if (ok) return value;
      issues.push({ path, at: 'value', message: `${expected}, got ${describeValue(value)}` });
      return INVALID;
    },
    toJsonSchema() {
      return { type: kind, description: opts.description, ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) };
    },
  };
}

export interface StringOptions {
  description: string;
  /** What a valid value looks like, for messages: "a DNS label such as checkout". */
  expected: string;
  pattern?: RegExp;
  maxLength?: number;
  /** The empty string is rejected unless this is set. */
  allowEmpty?: boolean;
  /** A rule the pattern cannot express; returns the problem, or undefined when the value is fine. */
  check?: (value: string) => string | undefined;
  /** Canonical form of a valid value (e.g. a URL's origin). */
  normalise?: (value: string) => string;
}

export function string(opts: StringOptions): Schema<string> {
  return {
    description: opts.description,
    parse(value, path, issues) {
      const bad = typeof value !== 'string' || (value === '' && !opts.allowEmpty) || (opts.pattern !== undefined && !opts.pattern.test(value));
      if (bad) {
        issues.push({ path, at: 'value', message: `must be ${opts.expected}, got ${describeValue(value)}` });
        return INVALID;
      }
      if (opts.maxLength !== undefined && value.length > opts.maxLength) {
        issues.push({ path, at: 'value', message: `must be at most ${opts.maxLength} characters long, got ${value.length}` });
        return INVALID;
      }
      const problem = opts.check?.(value);
      if (problem === undefined) return opts.normalise ? opts.normalise(value) : value;
      issues.push({ path, at: 'value', message: problem });
      return INVALID;
    },
    toJsonSchema() {
      return {
        type: 'string',
        description: opts.description,
        ...(opts.allowEmpty ? {} : { minLength: 1 }),
        ...(opts.pattern ? { pattern: opts.pattern.source } : {}),
        ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}),
      };
    },
  };
}

/** true or false (YAML's `true`/`false`; quoted strings are not booleans). */
export function boolean(description: string): Schema<boolean> {
  return {
    description,
    parse(value, path, issues) {
      if (typeof value === 'boolean') return value;
      issues.push({ path, at: 'value', message: `must be true or false, got ${describeValue(value)}` });
      return INVALID;
    },
    toJsonSchema() {
      return { type: 'boolean', description };
    },
  };
}

/** One of a fixed set of strings; a near miss gets a suggestion. */
export function oneOf<const T extends string>(values: readonly T[], description: string): Schema<T> {
  const listed = values.map((v) => `"${v}"`).join(', ');
  return {
    description,
    parse(value, path, issues) {
      if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
      const guess = typeof value === 'string' ? suggestName(value, values) : undefined;
      const expected = values.length === 1 ? `must be ${listed}` : `must be one of ${listed}`;
      const hint = guess !== undefined ? `; did you mean "${guess}"?` : '';
      issues.push({ path, at: 'value', message: `${expected}, got ${describeValue(value)}${hint}` });
      return INVALID;
    },
    toJsonSchema(): JsonSchema {
      return values.length === 1 ? { const: values[0], description } : { enum: [...values], description };
    },
  };
}

/** A positive duration: "30s", "1h30m", "500ms" or a number of seconds; parsed to milliseconds. */
export function duration(description: string): Schema<Millis> {
  return {
    description,
    parse(value, path, issues) {
      const result = tryParseDuration(value);
      if (result.ok && result.value > 0) return result.value;
      const problem = result.ok ? `must be greater than zero, got ${describeValue(value)}` : result.message;
      issues.push({ path, at: 'value', message: `${problem}; ${DURATION_HINT}` });
      return INVALID;
    },
    toJsonSchema() {
      return {
        description,
        anyOf: [
          { type: 'string', pattern: DURATION_PATTERN.source, description: 'e.g. 500ms, 30s, 2m, 1h30m' },
          { type: 'number', exclusiveMinimum: 0, description: 'seconds' },
        ],
      };
    },
  };
}
