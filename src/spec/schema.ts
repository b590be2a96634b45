import { describeValue, type Issue, type IssueAnchor, type PathSegment } from './spec-error.js';
import { suggestName } from './suggest.js';

/**
 * A small format-definition language. Each node both validates a plain value
 * (collecting every issue, never stopping at the first) and describes itself
 * as JSON Schema, so the published schema and the validator cannot drift.
 * Scalar nodes live in schema-scalars.ts.
 */

export type JsonSchema = { [keyword: string]: unknown };

/** Marks a value that failed validation; its issues are already recorded. */
export const INVALID: unique symbol = Symbol('invalid');
export type Parsed<T> = T | typeof INVALID;

export interface Schema<T> {
  /** One sentence for people: used in the JSON Schema and in "missing field" messages. */
  readonly description: string;
  parse(value: unknown, path: PathSegment[], issues: Issue[]): Parsed<T>;
  toJsonSchema(): JsonSchema;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Presence = 'required' | 'optional' | 'default';

export interface Field<T, P extends Presence = Presence> {
  readonly schema: Schema<T>;
  readonly presence: P;
  /** In the input form (e.g. "30s"), so the JSON Schema shows what a user would write. */
  readonly inputDefault?: unknown;
}

export function required<T>(schema: Schema<T>): Field<T, 'required'> {
  return { schema, presence: 'required' };
}

export function optional<T>(schema: Schema<T>): Field<T, 'optional'> {
  return { schema, presence: 'optional' };
}

export function withDefault<T>(schema: Schema<T>, inputDefault: unknown): Field<T, 'default'> {
  const issues: Issue[] = [];
  schema.parse(inputDefault, [], issues);
  if (issues.length > 0) throw new Error(`invalid default ${JSON.stringify(inputDefault)}: ${issues[0].message}`);
  return { schema, presence: 'default', inputDefault };
}

type FieldMap = Record<string, Field<unknown>>;
type FieldOut<F> = F extends Field<infer T> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOut<F extends FieldMap> = Simplify<
  { [K in keyof F as F[K]['presence'] extends 'optional' ? never : K]: FieldOut<F[K]> } & {
    [K in keyof F as F[K]['presence'] extends 'optional' ? K : never]?: FieldOut<F[K]>;
  }
>;

/** Records an issue at a path relative to the node being checked. */
export type Report = (relativePath: PathSegment[], at: IssueAnchor, message: string) => void;

export interface ObjectOptions<F extends FieldMap> {
  description: string;
  /** Accept `key:` with no value as an empty mapping (`pause:` reads like `pause: {}`). */
  nullAsEmpty?: boolean;
  /**
   * Rules across fields. `value` holds only the fields that validated; `raw`
   * tells whether a field was written at all (even if invalid).
   */
  check?: (value: Partial<ObjectOut<F>>, report: Report, raw: Readonly<Record<string, unknown>>) => void;
  /** Extra JSON Schema keywords for the cross-field rules it can express. */
  jsonSchema?: JsonSchema;
}

/** A mapping with a fixed set of fields; any other field is an error with a spelling suggestion. */
export function object<F extends FieldMap>(fields: F, opts: ObjectOptions<F>): Schema<ObjectOut<F>> {
  const names = Object.keys(fields);
  return {
    description: opts.description,
    parse(input, path, issues) {
      const before = issues.length;
      const value = input === null && opts.nullAsEmpty ? {} : input;
      if (!isMapping(value)) {
        issues.push({ path, at: 'value', message: `must be a mapping, got ${describeValue(value)}` });
        return INVALID;
      }
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key)) issues.push({ path: [...path, key], at: 'key', message: unknownField(key, names) });
      }
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const field = fields[name];
        const raw = Object.hasOwn(value, name) ? value[name] : undefined;
        if (raw === undefined && field.presence === 'required') {
          issues.push({ path: [...path, name], at: 'parent', message: `missing required field (${field.schema.description})` });
        } else if (raw !== undefined || field.presence === 'default') {
          const parsed = field.schema.parse(raw === undefined ? field.inputDefault : raw, [...path, name], issues);
          if (parsed !== INVALID) out[name] = parsed;
        }
      }
      opts.check?.(out as Partial<ObjectOut<F>>, reporter(path, issues), value);
      return issues.length === before ? (out as ObjectOut<F>) : INVALID;
    },
    toJsonSchema() {
      const properties: Record<string, JsonSchema> = {};
      for (const name of names) {
        const field = fields[name];
        properties[name] = field.presence === 'default'
          ? { ...field.schema.toJsonSchema(), default: field.inputDefault }
          : field.schema.toJsonSchema();
      }
      const requiredNames = names.filter((n) => fields[n].presence === 'required');
      return {
        type: opts.nullAsEmpty ? ['object', 'null'] : 'object',
        description: opts.description,
        properties,
        ...(requiredNames.length > 0 ? { required: requiredNames } : {}),
        additionalProperties: false,
        ...opts.jsonSchema,
      };
    },
  };
}

export interface ListOptions<T> {
  description: string;
  minItems?: number;
  /**
   * Items with equal keys are duplicates; the later ones are reported (at
   * `at` inside the item, if given). The key is taken from the raw item so
   * duplicates are found even among items with other problems.
   */
  unique?: { key: (raw: unknown) => string | undefined; what: string; at?: PathSegment[] };
  /** `items` is aligned with the input; entries that failed validation are undefined. */
  check?: (items: ReadonlyArray<T | undefined>, report: Report) => void;
}

export function list<T>(item: Schema<T>, opts: ListOptions<T>): Schema<T[]> {
  return {
    description: opts.description,
    parse(value, path, issues) {
      const before = issues.length;
      if (!Array.isArray(value)) {
        issues.push({ path, at: 'value', message: `must be a list, got ${describeValue(value)}` });
        return INVALID;
      }
      const items = value.map((v, i) => {
        const parsed = item.parse(v, [...path, i], issues);
        return parsed === INVALID ? undefined : parsed;
      });
      const min = opts.minItems ?? 0;
      if (value.length < min) {
        const message = value.length === 0 ? 'must not be empty' : `must have at least ${min} items, got ${value.length}`;
        issues.push({ path, at: 'value', message });
      }
      const unique = opts.unique;
      if (unique) {
        const seen = new Map<string, number>();
        value.forEach((raw: unknown, i) => {
          const key = unique.key(raw);
          if (key === undefined) return;
          const first = seen.get(key);
          if (first === undefined) seen.set(key, i);
          else issues.push({ path: [...path, i, ...(unique.at ?? [])], at: 'value', message: `duplicate ${unique.what} ${JSON.stringify(key)}, already at [${first}]` });
        });
      }
      opts.check?.(items, reporter(path, issues));
      return issues.length === before ? (items as T[]) : INVALID;
    },
    toJsonSchema() {
      return {
        type: 'array',
        description: opts.description,
        items: item.toJsonSchema(),
        ...(opts.minItems ? { minItems: opts.minItems } : {}),
        ...(opts.unique ? { uniqueItems: true } : {}),
      };
    },
  };
}

/** A free-form mapping such as labels: keys and values each follow a schema. */
export function record<T>(key: Schema<string>, value: Schema<T>, description: string): Schema<Record<string, T>> {
  return {
    description,
    parse(input, path, issues) {
      const before = issues.length;
      if (!isMapping(input)) {
        issues.push({ path, at: 'value', message: `must be a mapping, got ${describeValue(input)}` });
        return INVALID;
      }
      const out: Record<string, T> = {};
      for (const [k, v] of Object.entries(input)) {
        const keyIssues: Issue[] = [];
        key.parse(k, [...path, k], keyIssues);
        issues.push(...keyIssues.map((i) => ({ ...i, at: 'key' as const })));
        const parsed = value.parse(v, [...path, k], issues);
        if (parsed !== INVALID) Object.defineProperty(out, k, { value: parsed, enumerable: true, writable: true, configurable: true });
      }
      return issues.length === before ? out : INVALID;
    },
    toJsonSchema() {
      return { type: 'object', description, propertyNames: key.toJsonSchema(), additionalProperties: value.toJsonSchema() };
    },
  };
}

type VariantOut<V extends Record<string, Schema<unknown>>> = { [K in keyof V]: { [P in K]: Infer<V[K]> } }[keyof V];

/** A mapping holding exactly one of several keys, e.g. a step: `setWeight`, `pause` or `analysis`. */
export function oneKeyOf<V extends Record<string, Schema<unknown>>>(variants: V, description: string): Schema<VariantOut<V>> {
  const names = Object.keys(variants);
  const choice = names.map((n) => `"${n}"`).join(', ');
  return {
    description,
    parse(value, path, issues) {
      const before = issues.length;
      if (!isMapping(value)) {
        issues.push({ path, at: 'value', message: `must be a mapping with one of ${choice}, got ${describeValue(value)}` });
        return INVALID;
      }
      const keys = Object.keys(value);
      const known = keys.filter((k) => Object.hasOwn(variants, k));
      for (const k of keys) {
        if (!known.includes(k)) issues.push({ path: [...path, k], at: 'key', message: unknownField(k, names) });
      }
      if (keys.length === 0) issues.push({ path, at: 'value', message: `must have one of ${choice}` });
      for (const extra of known.slice(1)) {
        issues.push({ path: [...path, extra], at: 'key', message: `cannot be combined with "${known[0]}"; each entry has exactly one of ${choice}` });
      }
      if (known.length === 0) return INVALID;
      const parsed = variants[known[0]].parse(value[known[0]], [...path, known[0]], issues);
      if (issues.length > before || parsed === INVALID) return INVALID;
      return { [known[0]]: parsed } as VariantOut<V>;
    },
    toJsonSchema() {
      const properties = Object.fromEntries(names.map((n) => [n, variants[n].toJsonSchema()]));
      return { type: 'object', description, properties, minProperties: 1, maxProperties: 1, additionalProperties: false };
    },
  };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownField(key: string, allowed: readonly string[]): string {
  const guess = suggestName(key, allowed);
  return guess !== undefined ? `unknown field; did you mean "${guess}"?` : `unknown field; allowed fields are ${allowed.join(', ')}`;
}

function reporter(base: PathSegment[], issues: Issue[]): Report {
  return (relativePath, at, message) => issues.push({ path: [...base, ...relativePath], at, message });
}
