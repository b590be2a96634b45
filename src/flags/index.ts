/**
 * Feature flags: the plain evaluator (compiled FlagSets, results as data),
 * the specified bucketing, and flag management over a FlagStore. The
 * OpenFeature in-process provider builds on `compileFlagSets`/`evaluate` and
 * the SDK endpoints (/sdk/v1/flags and its stream) documented in docs/flags.md.
 */
export { evaluate, expectType, typeOfValue, type FlagSource } from './evaluate.js';
export {
  compileFlag,
  compileFlagSets,
  CompiledFlags,
  notFound,
  type CompiledEntry,
  type EvaluationContext,
  type EvaluationErrorCode,
  type EvaluationReason,
  type EvaluationResult,
  type FlagEvaluator,
  type FlagMetadata,
} from './evaluator.js';
export { BUCKETS, bucketOf, bucketOfHash, bucketingText, murmur3, percentToBuckets } from './bucketing.js';
export { FlagError, type FlagErrorCode } from './errors.js';
export { FlagService, type ApplyResult, type ClientKeyView, type EnvironmentSnapshot, type FlagChange, type FlagView } from './service.js';
export type { FlagPatch } from './patch.js';
export { importFlagd, type ImportNote, type ImportResult } from './flagd-import.js';
export { parseFlagSetDocuments, validateFlagSet, flagSetJsonSchema } from '../spec/flagset-parse.js';
export type * from '../spec/flagset-types.js';
