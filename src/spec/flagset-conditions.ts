import { regexProblem } from '../flags/safe-regex.js';
import { parseSemVer } from '../flags/semver.js';
import { INVALID, isMapping, type JsonSchema, type Schema } from './schema.js';
import { describeValue, type Issue, type PathSegment } from './spec-error.js';
import { suggestName } from './suggest.js';
import { CONDITION_OPERATORS, type Condition, type ConditionOperator, type Operand } from './flagset-types.js';

/**
 * The condition node of the FlagSet format: `{ attribute, <operator>: operand,
 * not? }` or `{ segment, not? }`. Operands are checked here, when a document
 * is validated, so compiled evaluators never meet a bad regex, version or date.
 */

export const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const ATTRIBUTE_PATTERN = /^[^\s]+$/;
const MAX_LIST = 10_000;

type OperandKind = 'scalar' | 'scalars' | 'strings' | 'scalarOrList' | 'regex' | 'number' | 'semver' | 'date';

const KIND: Record<ConditionOperator, OperandKind> = {
  equals: 'scalar',
  notEquals: 'scalar',
  in: 'scalars',
  notIn: 'scalars',
  startsWith: 'strings',
  endsWith: 'strings',
  contains: 'scalarOrList',
  matches: 'regex',
  gt: 'number',
  gte: 'number',
  lt: 'number',
  lte: 'number',
  semverEq: 'semver',
  semverGt: 'semver',
  semverGte: 'semver',
  semverLt: 'semver',
  semverLte: 'semver',
  before: 'date',
  after: 'date',
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Undefined when the operand suits the operator, else what was expected. */
function operandProblem(op: ConditionOperator, v: unknown): string | undefined {
  const kind = KIND[op];
  const oneOrList = (ok: (x: unknown) => boolean, what: string): string | undefined => {
    if (Array.isArray(v)) {
      if (v.length === 0) return `must not be an empty list; give ${what}`;
      if (v.length > MAX_LIST) return `must have at most ${MAX_LIST} entries, got ${v.length}`;
      const bad = v.findIndex((x) => !ok(x));
      return bad < 0 ? undefined : `[${bad}] must be ${what}, got ${describeValue(v[bad])}`;
    }
    return ok(v) ? undefined : `must be ${what} or a list of them, got ${describeValue(v)}`;
  };
  switch (kind) {
    case 'scalar':
      return isScalar(v) ? undefined : `must be a string, number or boolean, got ${describeValue(v)}${Array.isArray(v) ? '; to test several values use "in"' : ''}`;
    case 'scalars':
      if (!Array.isArray(v)) return `must be a list of values, e.g. [NZ, AU], got ${describeValue(v)}`;
      return oneOrList(isScalar, 'a string, number or boolean');
    case 'strings':
      return oneOrList((x) => typeof x === 'string' && x !== '', 'a non-empty string');
    case 'scalarOrList':
      return oneOrList(isScalar, 'a string, number or boolean');
    case 'regex': {
      const shape = oneOrList((x) => typeof x === 'string' && x !== '', 'a regular expression');
      if (shape) return shape;
      for (const p of Array.isArray(v) ? v : [v]) {
        const problem = regexProblem(p as string);
        if (problem) return `${JSON.stringify(p)} ${problem}`;
      }
      return undefined;
    }
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `must be a number, got ${describeValue(v)}`;
    case 'semver':
      return typeof v === 'string' && parseSemVer(v) ? undefined : `must be a semantic version such as "2.1.0" or "1.0.0-beta.2", got ${describeValue(v)}`;
    case 'date':
      return typeof v === 'string' && ISO_DATE.test(v) && Number.isFinite(Date.parse(v))
        ? undefined
        : `must be an ISO 8601 date or time such as "2025-07-01" or "2025-07-01T09:00:00Z", got ${describeValue(v)}`;
  }
}

const ATTRIBUTE_KEYS = ['attribute', 'not', ...CONDITION_OPERATORS];

function checkNot(value: Record<string, unknown>, path: PathSegment[], issues: Issue[]): boolean {
  if (value.not === undefined || typeof value.not === 'boolean') return true;
  issues.push({ path: [...path, 'not'], at: 'value', message: `must be true or false, got ${describeValue(value.not)}` });
  return false;
}

/** One condition of a rule or segment. */
export const condition: Schema<Condition> = {
  description: 'a test on the evaluation context: {attribute, <operator>: operand} or {segment}; "not: true" inverts it',
  parse(value, path, issues) {
    const before = issues.length;
    if (!isMapping(value)) {
      issues.push({ path, at: 'value', message: `must be a mapping such as {attribute: country, equals: NZ} or {segment: beta-testers}, got ${describeValue(value)}` });
      return INVALID;
    }
    checkNot(value, path, issues);
    const not = value.not === true ? { not: true } : {};
    if (value.segment !== undefined) {
      for (const k of Object.keys(value)) {
        if (k !== 'segment' && k !== 'not') issues.push({ path: [...path, k], at: 'key', message: 'cannot be combined with "segment"; a segment condition has only "segment" and "not"' });
      }
      if (typeof value.segment !== 'string' || !NAME_PATTERN.test(value.segment)) {
        issues.push({ path: [...path, 'segment'], at: 'value', message: `must name a segment defined in spec.segments, got ${describeValue(value.segment)}` });
      }
      return issues.length > before ? INVALID : { segment: value.segment as string, ...not };
    }
    for (const k of Object.keys(value)) {
      if (!ATTRIBUTE_KEYS.includes(k)) {
        const guess = suggestName(k, [...ATTRIBUTE_KEYS, 'segment']);
        issues.push({ path: [...path, k], at: 'key', message: guess ? `unknown field; did you mean "${guess}"?` : `unknown operator; use one of ${CONDITION_OPERATORS.join(', ')}` });
      }
    }
    if (value.attribute === undefined) {
      issues.push({ path: [...path, 'attribute'], at: 'parent', message: 'missing required field (the context attribute to test, e.g. country), or use "segment"' });
    } else if (typeof value.attribute !== 'string' || !ATTRIBUTE_PATTERN.test(value.attribute) || value.attribute.length > 256) {
      issues.push({ path: [...path, 'attribute'], at: 'value', message: `must be an attribute name such as "country" or "user.plan" (no spaces, at most 256 characters), got ${describeValue(value.attribute)}` });
    }
    const ops = CONDITION_OPERATORS.filter((op) => value[op] !== undefined);
    if (ops.length === 0) issues.push({ path, at: 'value', message: `needs one operator: ${CONDITION_OPERATORS.join(', ')}` });
    for (const extra of ops.slice(1)) {
      issues.push({ path: [...path, extra], at: 'key', message: `cannot be combined with "${ops[0]}": a condition has one operator; write a second condition (conditions of a rule must all hold)` });
    }
    const op = ops[0];
    if (op !== undefined) {
      const problem = operandProblem(op, value[op]);
      if (problem) issues.push({ path: [...path, op], at: 'value', message: problem });
    }
    if (issues.length > before || op === undefined) return INVALID;
    return { attribute: value.attribute as string, [op]: value[op] as Operand, ...not };
  },
  toJsonSchema(): JsonSchema {
    const scalar = { type: ['string', 'number', 'boolean'] };
    const list = { type: 'array', items: scalar, minItems: 1 };
    const operand = (kind: OperandKind): JsonSchema => {
      switch (kind) {
        case 'scalar': return scalar;
        case 'scalars': return list;
        case 'strings':
        case 'regex': return { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }] };
        case 'scalarOrList': return { anyOf: [scalar, list] };
        case 'number': return { type: 'number' };
        case 'semver':
        case 'date': return { type: 'string' };
      }
    };
    const ops = Object.fromEntries(CONDITION_OPERATORS.map((op) => [op, operand(KIND[op])]));
    return {
      description: this.description,
      oneOf: [
        { type: 'object', properties: { segment: { type: 'string' }, not: { type: 'boolean' } }, required: ['segment'], additionalProperties: false },
        { type: 'object', properties: { attribute: { type: 'string' }, not: { type: 'boolean' }, ...ops }, required: ['attribute'], minProperties: 2, additionalProperties: false },
      ],
    };
  },
};
