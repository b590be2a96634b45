import type { FlagSet, FlagType, FlagValue } from '../spec/flagset-types.js';
import { compileFlagSets, CompiledFlags, type EvaluationContext, type EvaluationResult } from './evaluator.js';

const compiled = new WeakMap<object, CompiledFlags>();

/** Flags to evaluate: compiled flags, one FlagSet, or the FlagSets of one environment. */
export type FlagSource = CompiledFlags | FlagSet | readonly FlagSet[];

function compiledOf(source: FlagSource): CompiledFlags {
  if (source instanceof CompiledFlags) return source;
  let c = compiled.get(source);
  if (!c) {
    c = compileFlagSets(Array.isArray(source) ? source : [source as FlagSet]);
    compiled.set(source, c);
  }
  return c;
}

/**
 * The plain evaluator: `{ value, variant, reason, errorCode? }` for flag `key`
 * in `context`. Never throws. A FlagSet (or array of them) is compiled on
 * first use and the compiled form cached for as long as that object lives,
 * so treat definitions as immutable: pass a new object after a change.
 */
export function evaluate(source: FlagSource, key: string, context?: EvaluationContext | null): EvaluationResult {
  try {
    return compiledOf(source).evaluate(key, context);
  } catch (err) {
    return { value: undefined, reason: 'ERROR', errorCode: 'PARSE_ERROR', errorMessage: `the flag definitions could not be compiled: ${(err as Error)?.message ?? String(err)}` };
  }
}

/** The type of a flag value as FlagSets declare it. */
export function typeOfValue(value: FlagValue | undefined): FlagType | undefined {
  if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') return value === value ? typeof value as FlagType : undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'object';
  return undefined;
}

/**
 * Checks a result against the type the caller expects (OpenFeature's typed
 * getters): a mismatch becomes a TYPE_MISMATCH error result.
 */
export function expectType(result: EvaluationResult, type: FlagType): EvaluationResult {
  if (result.errorCode !== undefined || typeOfValue(result.value) === type) return result;
  return {
    value: result.value,
    variant: result.variant,
    reason: 'ERROR',
    errorCode: 'TYPE_MISMATCH',
    errorMessage: `the flag is of type ${typeOfValue(result.value)}, not ${type}`,
    ...(result.flagMetadata ? { flagMetadata: result.flagMetadata } : {}),
  };
}
