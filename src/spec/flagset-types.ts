/**
 * The FlagSet document after parsing, validation and defaulting. The flag
 * evaluator (src/flags), the store and the API work on this shape; only spec/
 * knows how the YAML maps onto it. It is plain JSON, so it travels unchanged
 * to SDKs that evaluate in process.
 */

/** A variant's value: all variants of one flag share one of these types. */
export type FlagValue = boolean | string | number | { [key: string]: unknown };

export type FlagType = 'boolean' | 'string' | 'number' | 'object';

/** Operators that compare a context attribute with the operand given in the document. */
export type ConditionOperator =
  | 'equals'
  | 'notEquals'
  | 'in'
  | 'notIn'
  | 'startsWith'
  | 'endsWith'
  | 'contains'
  | 'matches'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'semverEq'
  | 'semverGt'
  | 'semverGte'
  | 'semverLt'
  | 'semverLte'
  | 'before'
  | 'after';

/** A scalar an attribute can be compared with. */
export type ConditionScalar = string | number | boolean;

export type Operand = ConditionScalar | ConditionScalar[];

/**
 * One test on the evaluation context: `attribute` (a property name of the
 * context, or a dotted path into nested objects such as `user.plan`) and
 * exactly one operator key with its operand, e.g. `{ attribute: country,
 * equals: NZ }`. `not: true` inverts the result (a missing attribute then
 * matches).
 */
export type AttributeCondition = { attribute: string; not?: boolean } & { [op in ConditionOperator]?: Operand };

/** The named segment's conditions all hold (or, with `not`, do not all hold). */
export interface SegmentCondition {
  segment: string;
  not?: boolean;
}

export type Condition = AttributeCondition | SegmentCondition;

/** A reusable group of conditions, all of which must hold. */
export interface Segment {
  description?: string;
  conditions: Condition[];
}

/**
 * A percentage split: variant name → percent of users (0–100, steps of
 * 0.001), laid out in the order written; the remainder goes to the flag's
 * default variant. Users are placed by the bucketing hash (docs/flags.md).
 */
export type Split = Record<string, number>;

/** Ordered targeting: the first rule whose conditions all hold decides. Exactly one of `serve` and `split`. */
export interface TargetingRule {
  /** Shown in evaluation metadata; defaults to `rule-N` (1-based). */
  name: string;
  conditions: Condition[];
  serve?: string;
  split?: Split;
}

/**
 * One flag. This normalised form (every default filled in) is itself a valid
 * input document, so definitions round-trip through the API unchanged.
 */
export interface FlagDefinition {
  description?: string;
  type: FlagType;
  variants: Record<string, FlagValue>;
  /** Off: every evaluation serves `offVariant` (reason DISABLED). */
  enabled: boolean;
  offVariant: string;
  /** Served when no rule matches and there is no split, and as the remainder of every split. */
  defaultVariant: string;
  rules: TargetingRule[];
  /** Split applied to contexts no rule matched; absent: everyone gets `defaultVariant`. */
  split?: Split;
  /** Mixed into the bucketing hash; defaults to the flag key. Two flags bucket alike only when they share it. */
  salt: string;
  /** The context attribute whose value is hashed for splits (default `targetingKey`). */
  bucketBy: string;
}

export interface FlagSet {
  apiVersion: 'sluice.dev/v1alpha1';
  kind: 'FlagSet';
  metadata: { name: string; environment: string; labels?: Record<string, string> };
  spec: {
    segments: Record<string, Segment>;
    /** Flag key → definition. Keys are unique per environment across all its FlagSets. */
    flags: Record<string, FlagDefinition>;
  };
}

/** The operator key of an attribute condition and its operand. */
export function conditionOperator(c: AttributeCondition): [ConditionOperator, Operand] {
  for (const op of CONDITION_OPERATORS) {
    const operand = c[op];
    if (operand !== undefined) return [op, operand];
  }
  throw new Error(`condition on "${c.attribute}" has no operator`);
}

export const CONDITION_OPERATORS: readonly ConditionOperator[] = [
  'equals', 'notEquals', 'in', 'notIn', 'startsWith', 'endsWith', 'contains', 'matches',
  'gt', 'gte', 'lt', 'lte', 'semverEq', 'semverGt', 'semverGte', 'semverLt', 'semverLte', 'before', 'after',
];

/** Where a FlagSet keeps the attribute it buckets by when a flag does not say. */
export const DEFAULT_BUCKET_BY = 'targetingKey';
