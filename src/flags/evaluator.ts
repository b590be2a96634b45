import type { FlagDefinition, FlagSet, FlagValue, Segment, Split, TargetingRule } from '../spec/flagset-types.js';
import { bucketOfHash, bucketingText, BUCKETS, percentToBuckets, prefixedHasher, saltPrefix } from './bucketing.js';
import { attributeReader, compileConditions, type EvaluationContext, type Predicate } from './conditions.js';

/**
 * Flags compiled to closures. Compiling resolves everything a definition says
 * (segments, operands, split ranges, the result objects themselves), so an
 * evaluation is a few property reads, comparisons and at most one hash, and
 * allocates nothing: results are frozen objects shared between calls.
 */

/** OpenFeature resolution reasons. */
export type EvaluationReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED' | 'ERROR';

/** OpenFeature error codes (the ones OFREP carries). */
export type EvaluationErrorCode = 'FLAG_NOT_FOUND' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'PARSE_ERROR' | 'TYPE_MISMATCH' | 'GENERAL';

export type FlagMetadata = Readonly<Record<string, string | number | boolean>>;

/**
 * What an evaluation returns; never thrown. With an error code, `value` is the
 * flag's default variant's value when the flag exists (undefined otherwise) —
 * OpenFeature clients then serve the caller's default instead.
 */
export interface EvaluationResult {
  readonly value: FlagValue | undefined;
  readonly variant?: string;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata?: FlagMetadata;
}

export type FlagEvaluator = (ctx: EvaluationContext) => EvaluationResult;

export type { EvaluationContext };

interface Results {
  (variant: string, reason: EvaluationReason, rule?: string): EvaluationResult;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Compiles one flag; `flagSet` names the set it came from (in every result's metadata). */
export function compileFlag(key: string, def: FlagDefinition, segments: Readonly<Record<string, Segment>>, flagSet: string): FlagEvaluator {
  const values = new Map(Object.entries(def.variants).map(([name, v]) => [name, deepFreeze(structuredClone(v))]));
  const cache = new Map<string, EvaluationResult>();
  const result: Results = (variant, reason, rule) => {
    const id = `${variant}\u0000${reason}\u0000${rule ?? ''}`;
    let r = cache.get(id);
    if (!r) {
      const flagMetadata: FlagMetadata = Object.freeze(rule === undefined ? { flagSet } : { flagSet, rule } as Record<string, string>);
      const created: EvaluationResult = Object.freeze({ value: values.get(variant), variant, reason, flagMetadata });
      cache.set(id, created);
      r = created;
    }
    return r;
  };

  if (!def.enabled) {
    const off = result(def.offVariant, 'DISABLED');
    return () => off;
  }
  const fallthrough = def.split
    ? compileSplit(key, def, def.split, result, undefined, 'DEFAULT')
    : constant(result(def.defaultVariant, def.rules.length > 0 ? 'DEFAULT' : 'STATIC'));
  const rules = def.rules.map((rule): [Predicate, FlagEvaluator] => [compileConditions(rule.conditions, segments), compileRule(key, def, rule, result)]);
  if (rules.length === 0) return fallthrough;
  if (rules.length === 1) {
    const [[when, serve]] = rules;
    return (ctx) => (when(ctx) ? serve(ctx) : fallthrough(ctx));
  }
  return (ctx) => {
    for (let i = 0; i < rules.length; i++) if (rules[i][0](ctx)) return rules[i][1](ctx);
    return fallthrough(ctx);
  };
}

function constant(r: EvaluationResult): FlagEvaluator {
  return () => r;
}

function compileRule(key: string, def: FlagDefinition, rule: TargetingRule, result: Results): FlagEvaluator {
  if (rule.split === undefined) return constant(result(rule.serve ?? def.defaultVariant, 'TARGETING_MATCH', rule.name));
  return compileSplit(key, def, rule.split, result, rule.name, 'TARGETING_MATCH');
}

/**
 * A split: variant i owns buckets [end(i-1), end(i)), the default variant the
 * rest. A split that gives everyone one variant needs no bucketing value.
 */
function compileSplit(key: string, def: FlagDefinition, split: Split, result: Results, rule: string | undefined, noSplitReason: EvaluationReason): FlagEvaluator {
  const ranges: Array<{ end: number; variant: string }> = [];
  let cumulative = 0;
  for (const [variant, percent] of Object.entries(split)) {
    const start = percentToBuckets(cumulative);
    cumulative += percent;
    const end = Math.min(BUCKETS, percentToBuckets(cumulative));
    if (end > start) ranges.push({ end, variant });
  }
  if (ranges.length === 0) return constant(result(def.defaultVariant, noSplitReason, rule));
  if (ranges.length === 1 && ranges[0].end === BUCKETS) return constant(result(ranges[0].variant, 'SPLIT', rule));

  const read = attributeReader(def.bucketBy);
  const hash = prefixedHasher(saltPrefix(def.salt));
  const rest = result(def.defaultVariant, 'SPLIT', rule);
  const missing: EvaluationResult = Object.freeze({
    value: rest.value,
    variant: def.defaultVariant,
    reason: 'ERROR',
    errorCode: def.bucketBy === 'targetingKey' ? 'TARGETING_KEY_MISSING' : 'INVALID_CONTEXT',
    errorMessage: `flag "${key}" splits users by "${def.bucketBy}", but the evaluation context has no string or number "${def.bucketBy}"`,
    flagMetadata: rest.flagMetadata,
  });
  if (ranges.length === 1) {
    const end = ranges[0].end;
    const hit = result(ranges[0].variant, 'SPLIT', rule);
    return (ctx) => {
      const text = bucketingText(read(ctx));
      if (text === undefined) return missing;
      return bucketOfHash(hash(text)) < end ? hit : rest;
    };
  }
  const ends = ranges.map((r) => r.end);
  const hits = ranges.map((r) => result(r.variant, 'SPLIT', rule));
  return (ctx) => {
    const text = bucketingText(read(ctx));
    if (text === undefined) return missing;
    const bucket = bucketOfHash(hash(text));
    for (let i = 0; i < ends.length; i++) if (bucket < ends[i]) return hits[i];
    return rest;
  };
}

/** A compiled definition and where it came from. */
export interface CompiledEntry {
  readonly flag: FlagDefinition;
  readonly flagSet: string;
  readonly evaluate: FlagEvaluator;
}

const EMPTY: EvaluationContext = Object.freeze({});

/**
 * The flags of one environment, ready to evaluate. Build it with
 * {@link compileFlagSets} whenever the definitions change; evaluation never
 * throws and never allocates on the success path.
 */
export class CompiledFlags {
  readonly #entries: Map<string, CompiledEntry>;

  constructor(entries: Map<string, CompiledEntry>) {
    this.#entries = entries;
  }

  /** Evaluates a flag for a context (OpenFeature's evaluation context). */
  evaluate(key: string, context?: EvaluationContext | null): EvaluationResult {
    const entry = this.#entries.get(key);
    if (entry === undefined) return notFound(key);
    if (context === undefined || context === null) context = EMPTY;
    else if (typeof context !== 'object' || Array.isArray(context)) return invalidContext(key);
    try {
      return entry.evaluate(context);
    } catch (err) {
      return { value: undefined, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: `evaluating "${key}" failed: ${(err as Error)?.message ?? String(err)}` };
    }
  }

  /** The compiled entry of one flag (its evaluator can be called directly in hot loops). */
  get(key: string): CompiledEntry | undefined {
    return this.#entries.get(key);
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A result for a key that is not defined. */
export function notFound(key: string): EvaluationResult {
  return { value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: `no flag "${key}" is defined in this environment` };
}

function invalidContext(key: string): EvaluationResult {
  return { value: undefined, reason: 'ERROR', errorCode: 'INVALID_CONTEXT', errorMessage: `the evaluation context for "${key}" must be an object of attributes` };
}

/**
 * Compiles the flag sets of one environment. Flag keys are unique per
 * environment (the server enforces it); if two sets define a key anyway, the
 * first one wins.
 */
export function compileFlagSets(flagSets: readonly FlagSet[]): CompiledFlags {
  const entries = new Map<string, CompiledEntry>();
  for (const set of flagSets) {
    for (const [key, flag] of Object.entries(set.spec.flags)) {
      if (entries.has(key)) continue;
      entries.set(key, { flag, flagSet: set.metadata.name, evaluate: compileFlag(key, flag, set.spec.segments, set.metadata.name) });
    }
  }
  return new CompiledFlags(entries);
}
