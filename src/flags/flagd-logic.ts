import { CONDITION_OPERATORS, type AttributeCondition, type Condition, type ConditionOperator, type ConditionScalar } from '../spec/flagset-types.js';

/**
 * flagd's JsonLogic conditions as Sluice conditions, in disjunctive normal
 * form: a list of alternatives, each a list of conditions that must all hold
 * (one rule per alternative). What has no Sluice equivalent throws
 * Unrepresentable with the reason, for the import report.
 */

export type Dnf = Condition[][];

export class Unrepresentable extends Error {
  override readonly name = 'Unrepresentable';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Expanding nested and/or must not explode: beyond this many alternatives the targeting is reported instead. */
const MAX_ALTERNATIVES = 32;

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

const short = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** The attribute a `{"var": ...}` reads, or undefined when `e` is not a var. */
function varOf(e: Json): string | undefined {
  if (!isObject(e) || !('var' in e)) return undefined;
  const v = Array.isArray(e.var) ? e.var[0] : e.var;
  if (typeof v !== 'string' || v === '') throw new Unrepresentable(`${short(e)} reads no named attribute`);
  if (v.startsWith('$flagd.')) throw new Unrepresentable(`${v} has no Sluice equivalent (conditions test context attributes)`);
  return v;
}

const isScalar = (v: Json): v is ConditionScalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const cond = (attribute: string, op: ConditionOperator, value: ConditionScalar | ConditionScalar[], not = false): AttributeCondition =>
  ({ attribute, [op]: value, ...(not ? { not: true } : {}) }) as AttributeCondition;

/** `[var, literal]` in either order, with the operator flipped when the literal comes first. */
function comparison(op: string, args: Json[]): Dnf {
  const flip: Record<string, ConditionOperator> = { '<': 'gt', '<=': 'gte', '>': 'lt', '>=': 'lte' };
  const direct: Record<string, ConditionOperator> = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
  if (args.length === 3 && (op === '<' || op === '<=')) {
    // JsonLogic's "between": a < x < b.
    const [lo, x, hi] = args;
    const attr = varOf(x);
    if (attr !== undefined && typeof lo === 'number' && typeof hi === 'number') return [[cond(attr, flip[op], lo), cond(attr, direct[op], hi)]];
  }
  if (args.length !== 2) throw new Unrepresentable(`"${op}" with ${args.length} arguments`);
  const [a, b] = args;
  const attrA = varOf(a);
  const attrB = varOf(b);
  const equality = op === '==' || op === '===' || op === '!=' || op === '!==';
  if (attrA !== undefined && attrB === undefined && isScalar(b)) return [[equality ? cond(attrA, 'equals', b, op.startsWith('!')) : numeric(op, attrA, b, direct)]];
  if (attrB !== undefined && attrA === undefined && isScalar(a)) return [[equality ? cond(attrB, 'equals', a, op.startsWith('!')) : numeric(op, attrB, a, flip)]];
  throw new Unrepresentable(`"${op}" compares ${short(args)}; Sluice compares one attribute with a literal`);
}

function numeric(op: string, attr: string, value: ConditionScalar, ops: Record<string, ConditionOperator>): Condition {
  if (typeof value !== 'number') throw new Unrepresentable(`"${op}" with the non-number ${short(value)}`);
  return cond(attr, ops[op], value);
}

/** `sem_ver`: [var, op, version]; flagd's "^" (same major) and "~" (same major.minor) become two bounds. */
function semver(args: Json[]): Dnf {
  const [a, op, v] = args;
  const attr = varOf(a);
  if (attr === undefined || typeof op !== 'string' || typeof v !== 'string') throw new Unrepresentable(`sem_ver ${short(args)}`);
  const version = v.replace(/^v/, '');
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  const simple: Record<string, ConditionOperator> = { '=': 'semverEq', '<': 'semverLt', '<=': 'semverLte', '>': 'semverGt', '>=': 'semverGte' };
  if (op in simple) return [[cond(attr, simple[op], version)]];
  if (op === '!=') return [[cond(attr, 'semverEq', version, true)]];
  if ((op === '^' || op === '~') && m) {
    // flagd: "^" keeps the major version, "~" the major and minor (pre-releases included, hence "-0").
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const [lower, upper] = op === '^' ? [`${major}.0.0-0`, `${major + 1}.0.0-0`] : [`${major}.${minor}.0-0`, `${major}.${minor + 1}.0-0`];
    return [[cond(attr, 'semverGte', lower), cond(attr, 'semverLt', upper)]];
  }
  throw new Unrepresentable(`sem_ver operator ${short(op)}`);
}

function andAll(parts: Dnf[]): Dnf {
  let out: Dnf = [[]];
  for (const p of parts) {
    const next: Dnf = [];
    for (const left of out) for (const right of p) next.push([...left, ...right]);
    if (next.length > MAX_ALTERNATIVES) throw new Unrepresentable(`the conditions expand to more than ${MAX_ALTERNATIVES} alternatives`);
    out = next;
  }
  return out;
}

function negate(dnf: Dnf, expr: Json): Dnf {
  if (dnf.length === 0) return [[]];
  if (dnf.length === 1 && dnf[0].length === 0) return [];
  if (dnf.length === 1 && dnf[0].length === 1) {
    const { not, ...rest } = dnf[0][0] as Condition & { not?: boolean };
    return [[(not ? rest : { ...rest, not: true }) as Condition]];
  }
  throw new Unrepresentable(`"!" of ${short(expr)}: Sluice negates single conditions only`);
}

/** Converts a JsonLogic condition; `$ref`s are resolved through `ref` (which may turn them into segments). */
export function flagdConditions(expr: Json, ref: (name: string) => Dnf): Dnf {
  if (expr === true) return [[]];
  if (expr === false || expr === null) return [];
  if (!isObject(expr)) throw new Unrepresentable(`${short(expr)} is not a condition`);
  const ops = Object.keys(expr);
  if (ops.length !== 1) throw new Unrepresentable(`${short(expr)} has ${ops.length} operators`);
  const op = ops[0];
  const raw = expr[op];
  const args: Json[] = Array.isArray(raw) ? raw : [raw];
  switch (op) {
    case '$ref':
      if (typeof raw !== 'string') throw new Unrepresentable(`$ref ${short(raw)}`);
      return ref(raw);
    case 'and':
      return andAll(args.map((a) => flagdConditions(a, ref)));
    case 'or': {
      const out = args.flatMap((a) => flagdConditions(a, ref));
      if (out.length > MAX_ALTERNATIVES) throw new Unrepresentable(`the conditions expand to more than ${MAX_ALTERNATIVES} alternatives`);
      return out;
    }
    case '!':
      return negate(flagdConditions(args[0], ref), expr);
    case '==':
    case '===':
    case '!=':
    case '!==':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(op, args);
    case 'in': {
      const [needle, hay] = args;
      const attrHay = varOf(hay);
      if (attrHay !== undefined && typeof needle === 'string') return [[cond(attrHay, 'contains', needle)]];
      const attrNeedle = varOf(needle);
      if (attrNeedle !== undefined && Array.isArray(hay) && hay.length > 0 && hay.every(isScalar)) return [[cond(attrNeedle, 'in', hay as ConditionScalar[])]];
      if (attrNeedle !== undefined && typeof hay === 'string') throw new Unrepresentable(`"in" testing whether an attribute is a substring of ${short(hay)}`);
      throw new Unrepresentable(`"in" ${short(args)}`);
    }
    case 'starts_with':
    case 'ends_with': {
      const attr = varOf(args[0]);
      if (attr === undefined || typeof args[1] !== 'string') throw new Unrepresentable(`${op} ${short(args)}`);
      return [[cond(attr, op === 'starts_with' ? 'startsWith' : 'endsWith', args[1])]];
    }
    case 'sem_ver':
      return semver(args);
    default:
      throw new Unrepresentable(`the operator "${op}" has no Sluice equivalent (Sluice has ${CONDITION_OPERATORS.length} operators: see docs/flags.md)`);
  }
}
