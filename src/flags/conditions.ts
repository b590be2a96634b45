import { conditionOperator, type Condition, type ConditionOperator, type ConditionScalar, type Operand, type Segment } from '../spec/flagset-types.js';
import { compileRegex } from './safe-regex.js';
import { compareSemVer, parseSemVer } from './semver.js';

/**
 * Conditions compiled to closures once, when a flag set is loaded: each
 * evaluation then runs plain property reads and comparisons, never walking
 * the document. Operands were validated by spec/, so compiling cannot fail on
 * a validated FlagSet.
 */

/** The attributes an evaluation is about: OpenFeature's evaluation context. */
export type EvaluationContext = Readonly<Record<string, unknown>>;
export type Predicate = (ctx: EvaluationContext) => boolean;
type Test = (value: unknown) => boolean;

const ALWAYS: Predicate = () => true;

/**
 * Reads an attribute: the property of that exact name, else — when the name
 * has dots — the path into nested objects (`user.plan`).
 */
export function attributeReader(path: string): (ctx: EvaluationContext) => unknown {
  if (!path.includes('.')) return (ctx) => ctx[path];
  const parts = path.split('.');
  return (ctx) => {
    const direct = ctx[path];
    if (direct !== undefined) return direct;
    let v: unknown = ctx;
    for (const p of parts) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  };
}

/** All conditions must hold; an empty list always holds. */
export function compileConditions(conditions: readonly Condition[], segments: Readonly<Record<string, Segment>>): Predicate {
  const preds = conditions.map((c) => compileCondition(c, segments));
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) {
    const [a, b] = preds;
    return (ctx) => a(ctx) && b(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i](ctx)) return false;
    return true;
  };
}

export function compileCondition(condition: Condition, segments: Readonly<Record<string, Segment>>): Predicate {
  let pred: Predicate;
  if ('segment' in condition) {
    const segment = segments[condition.segment];
    // Validation guarantees the segment exists and holds no segment conditions.
    pred = compileConditions(segment?.conditions ?? [], {});
  } else {
    const [operator, operand] = conditionOperator(condition);
    pred = compileAttributeTest(condition.attribute, operator, operand);
  }
  if (!condition.not) return pred;
  return (ctx) => !pred(ctx);
}

function compileAttributeTest(attribute: string, operator: ConditionOperator, operand: Operand): Predicate {
  // The common case gets a closure with no indirection.
  if (operator === 'equals' && typeof operand === 'string' && !attribute.includes('.')) return (ctx) => ctx[attribute] === operand;
  const read = attributeReader(attribute);
  const test = compileTest(operator, operand);
  return (ctx) => test(read(ctx));
}

function compileTest(operator: ConditionOperator, operand: Operand): Test {
  const list = Array.isArray(operand) ? operand : [operand];
  switch (operator) {
    case 'equals':
      return equalsTest(operand as ConditionScalar);
    case 'notEquals': {
      const eq = equalsTest(operand as ConditionScalar);
      return (v) => v !== undefined && v !== null && !eq(v);
    }
    case 'in':
      return inTest(list);
    case 'notIn': {
      const inList = inTest(list);
      return (v) => v !== undefined && v !== null && !inList(v);
    }
    case 'startsWith': {
      const prefixes = list.map(String);
      return (v) => typeof v === 'string' && prefixes.some((p) => v.startsWith(p));
    }
    case 'endsWith': {
      const suffixes = list.map(String);
      return (v) => typeof v === 'string' && suffixes.some((s) => v.endsWith(s));
    }
    case 'contains': {
      // A substring of a string, or a member of a list attribute (groups, roles).
      return (v) => {
        if (typeof v === 'string') return list.some((s) => typeof s === 'string' && v.includes(s));
        if (Array.isArray(v)) return list.some((s) => v.includes(s));
        return false;
      };
    }
    case 'matches': {
      const tests = list.map((p) => compileRegex(String(p)));
      return (v) => typeof v === 'string' && tests.some((t) => t(v));
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return numericTest(operator, Number(operand));
    case 'semverEq':
    case 'semverGt':
    case 'semverGte':
    case 'semverLt':
    case 'semverLte':
      return semverTest(operator, String(operand));
    case 'before':
    case 'after': {
      const at = Date.parse(String(operand));
      return operator === 'before'
        ? (v) => { const t = toTime(v); return t !== undefined && t < at; }
        : (v) => { const t = toTime(v); return t !== undefined && t > at; };
    }
  }
}

function equalsTest(operand: ConditionScalar): Test {
  if (typeof operand === 'number') return (v) => v === operand || (typeof v === 'string' && toNumber(v) === operand);
  return (v) => v === operand;
}

function inTest(list: readonly ConditionScalar[]): Test {
  const strings = new Set<unknown>(list.filter((x) => typeof x !== 'number'));
  const numbers = new Set<number>(list.filter((x): x is number => typeof x === 'number'));
  if (numbers.size === 0) return (v) => strings.has(v);
  return (v) => {
    if (strings.has(v)) return true;
    const n = toNumber(v);
    return n !== undefined && numbers.has(n);
  };
}

function numericTest(operator: 'gt' | 'gte' | 'lt' | 'lte', bound: number): Test {
  switch (operator) {
    case 'gt': return (v) => { const n = toNumber(v); return n !== undefined && n > bound; };
    case 'gte': return (v) => { const n = toNumber(v); return n !== undefined && n >= bound; };
    case 'lt': return (v) => { const n = toNumber(v); return n !== undefined && n < bound; };
    case 'lte': return (v) => { const n = toNumber(v); return n !== undefined && n <= bound; };
  }
}

function semverTest(operator: 'semverEq' | 'semverGt' | 'semverGte' | 'semverLt' | 'semverLte', operand: string): Test {
  const bound = parseSemVer(operand);
  if (!bound) return () => false;
  const accept: (cmp: number) => boolean = {
    semverEq: (c: number) => c === 0,
    semverGt: (c: number) => c > 0,
    semverGte: (c: number) => c >= 0,
    semverLt: (c: number) => c < 0,
    semverLte: (c: number) => c <= 0,
  }[operator];
  return (v) => {
    if (typeof v !== 'string') return false;
    const version = parseSemVer(v);
    return version !== undefined && accept(compareSemVer(version, bound));
  };
}

/** Numbers, and strings that spell a finite number ("42", " 1.5 "). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A Date, milliseconds since the Unix epoch, or a date string (ISO 8601). */
export function toTime(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}
