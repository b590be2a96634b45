import type { Condition, FlagValue, Split, TargetingRule } from '../spec/flagset-types.js';

/**
 * Flag definitions in words, for the dashboard's flags page and `sluice flags
 * get`: conditions, rules, splits and what a flag serves. Pure functions with
 * no Node or DOM imports: the dashboard's build compiles this file too.
 */

type Phrase = (attribute: string, operand: unknown) => string;

const any = (verb: string): Phrase => (a, o) => `${a} ${verb} ${Array.isArray(o) && o.length !== 1 ? `any of ${list(o)}` : scalar(Array.isArray(o) ? o[0] : o)}`;
const compare = (verb: string, after = ''): Phrase => (a, o) => `${a} ${verb} ${scalar(o)}${after}`;

/** Every operator a condition may hold (src/spec/flagset-types.ts), in that order. */
const OPERATORS: Record<string, Phrase> = {
  equals: compare('equals'),
  notEquals: compare('does not equal'),
  in: (a, o) => `${a} is one of ${list(o)}`,
  notIn: (a, o) => `${a} is not one of ${list(o)}`,
  startsWith: any('starts with'),
  endsWith: any('ends with'),
  contains: any('contains'),
  matches: (a, o) => `${a} matches ${(Array.isArray(o) ? o : [o]).map((p) => `/${String(p)}/`).join(' or ')}`,
  gt: compare('>'),
  gte: compare('≥'),
  lt: compare('<'),
  lte: compare('≤'),
  semverEq: compare('is version'),
  semverGt: compare('is a version above'),
  semverGte: compare('is version', ' or above'),
  semverLt: compare('is a version below'),
  semverLte: compare('is version', ' or below'),
  before: compare('is before'),
  after: compare('is after'),
};

/** An operand as written: bare when unambiguous (NZ, 42, true), quoted when it has spaces or looks like another type. */
export function scalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return JSON.stringify(v) ?? String(v);
  const ambiguous = v === '' || !/^[\p{L}\p{N}_.\-@:/+*]+$/u.test(v) || v === 'true' || v === 'false' || Number.isFinite(Number(v));
  return ambiguous ? JSON.stringify(v) : v;
}

function list(o: unknown): string {
  return `[${(Array.isArray(o) ? o : [o]).map(scalar).join(', ')}]`;
}

/** `country equals NZ`, `plan is one of [pro, team]`, `in segment beta-testers`, `not (app.version is version 2.0.0 or above)`. */
export function conditionText(c: Condition): string {
  if ('segment' in c && typeof c.segment === 'string') return `${c.not ? 'not in' : 'in'} segment ${scalar(c.segment)}`;
  const attr = c as { attribute: string; not?: boolean; [op: string]: unknown };
  const op = Object.keys(OPERATORS).find((k) => attr[k] !== undefined);
  const text = op ? OPERATORS[op]!(attr.attribute, attr[op]) : `${attr.attribute} ${JSON.stringify(attr)}`;
  return attr.not ? `not (${text})` : text;
}

/** All conditions hold: "A and B"; none: everyone. */
export function conditionsText(conditions: readonly Condition[]): string {
  return conditions.length ? conditions.map(conditionText).join(' and ') : 'everyone';
}

export function percent(p: number): string {
  return `${Number(p.toFixed(3))}%`;
}

export interface Share {
  variant: string;
  percent: number;
  /** The default variant's remainder. */
  rest: boolean;
}

/** A split's shares in bucket order; what it leaves goes to the default variant. */
export function splitShares(split: Split | undefined, defaultVariant: string): Share[] {
  const shares: Share[] = Object.entries(split ?? {}).map(([variant, p]) => ({ variant, percent: p, rest: false }));
  const left = Number((100 - shares.reduce((sum, s) => sum + s.percent, 0)).toFixed(3));
  if (left > 0) {
    const own = shares.find((s) => s.variant === defaultVariant);
    if (own) Object.assign(own, { percent: Number((own.percent + left).toFixed(3)), rest: true });
    else shares.push({ variant: defaultVariant, percent: left, rest: true });
  }
  return shares;
}

/** `on 25% · off 75%`. */
export function splitText(split: Split | undefined, defaultVariant: string): string {
  return splitShares(split, defaultVariant)
    .map((s) => `${s.variant} ${percent(s.percent)}`)
    .join(' · ');
}

/** `If country equals NZ and plan is one of [pro, team] → serve on`; a split rule names its shares. */
export function ruleText(rule: TargetingRule, defaultVariant: string): string {
  const when = rule.conditions.length ? `If ${conditionsText(rule.conditions)}` : 'Everyone';
  const then = rule.split ? `split ${splitText(rule.split, defaultVariant)}` : `serve ${rule.serve ?? defaultVariant}`;
  return `${when} → ${then}`;
}

/** What a flag serves to everyone its rules do not match, in a few words (the flags table's "Serving"). */
export function servingText(f: { enabled: boolean; offVariant: string; defaultVariant: string; split?: Split }): string {
  if (!f.enabled) return `${f.offVariant} to everyone (off)`;
  const shares = splitShares(f.split, f.defaultVariant);
  return shares.length === 1 ? `${shares[0]!.variant} to everyone` : splitText(f.split, f.defaultVariant);
}

/** A variant's value as JSON: `true`, `"blue"`, `{"limit":3}`. */
export function valueText(v: FlagValue): string {
  return JSON.stringify(v);
}

/** Variants a percentage may be given to: every one but the default, which gets what a split leaves. */
export function splittable(variants: readonly string[], defaultVariant: string): string[] {
  return variants.filter((v) => v !== defaultVariant);
}
