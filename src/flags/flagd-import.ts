import { NAME_PATTERN } from '../spec/flagset-conditions.js';
import { validateFlagSet } from '../spec/flagset-parse.js';
import { formatSpecError } from '../spec/spec-error.js';
import type { Condition, FlagSet, Segment, Split } from '../spec/flagset-types.js';
import { flagdConditions, Unrepresentable } from './flagd-logic.js';

/**
 * Converts flagd flag-definition JSON (flagd.dev/schema/v0/flags.json) into a
 * FlagSet. JsonLogic targeting becomes ordered rules: `if` chains (nested
 * ones flattened), `and`/`or` (an `or` becomes one rule per alternative),
 * `!` on a single test, comparisons, `in`, `starts_with`, `ends_with`,
 * `sem_ver` (`^` and `~` as two bounds) and `fractional` splits; `$evaluators`
 * that are plain conditions become segments. Whatever cannot be represented
 * is left out and reported, never silently changed.
 */

export interface ImportNote {
  /** The flag concerned, if any. */
  flag?: string;
  /** `dropped`: left out; `changed`: kept, but it behaves differently in Sluice. */
  kind: 'dropped' | 'changed';
  message: string;
}

export interface ImportResult {
  /** The FlagSet, valid; undefined when nothing could be converted into a valid document. */
  flagSet?: FlagSet;
  notes: ImportNote[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface RuleDraft {
  conditions: Condition[];
  serve?: string;
  split?: Split;
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function importFlagd(text: string, target: { name: string; environment: string }): ImportResult {
  const notes: ImportNote[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { notes: [{ kind: 'dropped', message: `not JSON: ${(err as Error).message}` }] };
  }
  if (!isObject(doc) || !isObject(doc.flags)) return { notes: [{ kind: 'dropped', message: 'not a flagd flag definition: expected an object with "flags"' }] };

  const evaluators = isObject(doc.$evaluators) ? doc.$evaluators : {};
  const segments: Record<string, Segment> = {};
  const segmentOf = (name: string): Condition[][] => {
    const expr = evaluators[name];
    if (expr === undefined) throw new Unrepresentable(`$ref to an unknown evaluator "${name}"`);
    const dnf = flagdConditions(expr, segmentOf);
    if (dnf.length === 1 && dnf[0].length > 0 && NAME_PATTERN.test(name) && dnf[0].every((c) => !('segment' in c))) {
      segments[name] ??= { conditions: dnf[0] };
      return [[{ segment: name }]];
    }
    return dnf;
  };

  const flags: FlagSet['spec']['flags'] = {};
  for (const [key, raw] of Object.entries(doc.flags)) {
    const note = (kind: ImportNote['kind'], message: string) => notes.push({ flag: key, kind, message });
    if (!NAME_PATTERN.test(key) || key.length > 128) {
      note('dropped', 'the key is not a valid Sluice flag key (letters, digits, "-", "_", "."); rename it in flagd and import again');
      continue;
    }
    if (!isObject(raw) || !isObject(raw.variants)) {
      note('dropped', 'has no "variants" object');
      continue;
    }
    const variants = raw.variants;
    const types = new Set(Object.values(variants).map((v) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v)));
    if (types.has('array') || types.has('null') || types.size !== 1) {
      note('dropped', `its variants must all be of one type among boolean, string, number and object (got ${[...types].join(', ')})`);
      continue;
    }
    let defaultVariant = typeof raw.defaultVariant === 'string' ? raw.defaultVariant : undefined;
    if (defaultVariant === undefined || !Object.hasOwn(variants, defaultVariant)) {
      defaultVariant = Object.keys(variants)[0];
      note('changed', `defaultVariant ${JSON.stringify(raw.defaultVariant ?? null)} is not one of its variants (flagd then defers to the code default); Sluice serves "${defaultVariant}" instead`);
    }
    const enabled = raw.state !== 'DISABLED';
    if (!enabled) note('changed', `it is DISABLED: flagd makes callers use their code default, Sluice serves the off variant "${defaultVariant}" (reason DISABLED)`);

    const rules: RuleDraft[] = [];
    let bucketBy: string | undefined;
    const fractional = (args: Json): Split => {
      const r = flagdFractional(args);
      if (r.bucketBy !== undefined) {
        if (bucketBy !== undefined && bucketBy !== r.bucketBy) throw new Unrepresentable(`fractional splits bucket by both "${bucketBy}" and "${r.bucketBy}"; a Sluice flag buckets by one attribute`);
        bucketBy = r.bucketBy;
      }
      for (const v of Object.keys(r.split)) if (!Object.hasOwn(variants, v)) throw new Unrepresentable(`fractional names an unknown variant "${v}"`);
      return r.split;
    };
    const walk = (expr: Json, guard: Condition[]): void => {
      if (typeof expr === 'string') {
        if (!Object.hasOwn(variants, expr)) throw new Unrepresentable(`targeting returns "${expr}", which is not a variant`);
        rules.push({ conditions: guard, serve: expr });
      } else if (expr === null) {
        rules.push({ conditions: guard, serve: defaultVariant });
      } else if (isObject(expr) && 'fractional' in expr) {
        rules.push({ conditions: guard, split: fractional(expr.fractional) });
      } else if (isObject(expr) && Array.isArray(expr.if)) {
        const args = expr.if;
        let i = 0;
        for (; i + 1 < args.length; i += 2) {
          for (const conj of flagdConditions(args[i], segmentOf)) walk(args[i + 1], [...guard, ...conj]);
        }
        walk(i < args.length ? args[i] : null, guard);
      } else {
        throw new Unrepresentable(`targeting ${short(expr)} does not return a variant name, an "if" or a "fractional"`);
      }
    };
    if (raw.targeting !== undefined && !(isObject(raw.targeting) && Object.keys(raw.targeting).length === 0)) {
      try {
        walk(raw.targeting, []);
      } catch (err) {
        if (!(err instanceof Unrepresentable)) throw err;
        note('dropped', `its targeting was left out (${err.message}); everyone gets "${defaultVariant}" until you write rules`);
        rules.length = 0;
      }
    }
    if (bucketBy !== undefined || rules.some((r) => r.split)) {
      note('changed', `its fractional split buckets users with Sluice's hash (salt "${key}", by ${bucketBy ?? 'targetingKey'}): the proportions are kept, but not which users get which variant`);
    }

    // The first rule without conditions catches everyone left: it is the fallthrough, and later rules never run.
    const cut = rules.findIndex((r) => r.conditions.length === 0);
    const fallthrough = cut >= 0 ? rules[cut] : undefined;
    const targeted = cut >= 0 ? rules.slice(0, cut) : rules;
    let sluiceDefault = defaultVariant;
    if (fallthrough?.serve !== undefined && fallthrough.serve !== defaultVariant) {
      sluiceDefault = fallthrough.serve;
      note('changed', `flagd's defaultVariant "${defaultVariant}" is only served when targeting fails; Sluice's default is the targeting's fallback "${sluiceDefault}"`);
    }
    flags[key] = {
      variants: variants as FlagSet['spec']['flags'][string]['variants'],
      defaultVariant: sluiceDefault,
      ...(enabled ? {} : { enabled: false, offVariant: defaultVariant }),
      ...(targeted.length ? { rules: targeted.map((r) => ({ conditions: r.conditions, ...(r.split ? { split: r.split } : { serve: r.serve }) })) } : {}),
      ...(fallthrough?.split ? { split: fallthrough.split } : {}),
      ...(bucketBy !== undefined ? { bucketBy } : {}),
    } as FlagSet['spec']['flags'][string];
    if (isObject(raw.metadata) && Object.keys(raw.metadata).length) note('changed', 'its metadata was left out (Sluice flags carry a description only)');
  }

  const input = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlagSet',
    metadata: { name: target.name, environment: target.environment },
    spec: { ...(Object.keys(segments).length ? { segments } : {}), flags },
  };
  const { flagSet, errors } = validateFlagSet(input, 'imported flagd definitions');
  for (const e of errors) notes.push({ kind: 'dropped', message: `the converted document is not valid: ${formatSpecError(e)}` });
  return { flagSet, notes };
}

/** `fractional`: an optional bucketing expression, then [variant, weight] pairs; weights become percent. */
function flagdFractional(args: Json): { split: Split; bucketBy?: string } {
  if (!Array.isArray(args) || args.length === 0) throw new Unrepresentable('fractional needs [variant, weight] pairs');
  let pairs = args;
  let bucketBy: string | undefined;
  if (!Array.isArray(args[0])) {
    bucketBy = bucketingAttribute(args[0]);
    pairs = args.slice(1);
  }
  const entries = pairs.map((p) => {
    if (!Array.isArray(p) || typeof p[0] !== 'string') throw new Unrepresentable(`fractional entry ${short(p)} is not [variant, weight]`);
    const weight = p.length > 1 ? p[1] : 1;
    if (typeof weight !== 'number' || !(weight >= 0)) throw new Unrepresentable(`fractional weight ${short(weight)} is not a non-negative number`);
    return [p[0], weight] as const;
  });
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (total <= 0) throw new Unrepresentable('fractional weights add up to 0');
  const split: Split = {};
  let given = 0;
  entries.forEach(([variant, w], i) => {
    // Thousandths of a percent; the last share takes the rounding remainder so the total is exactly 100.
    const percent = i === entries.length - 1 ? Math.round((100 - given) * 1000) / 1000 : Math.round((w / total) * 100_000) / 1000;
    split[variant] = (split[variant] ?? 0) + percent;
    given += percent;
  });
  return { split, ...(bucketBy !== undefined ? { bucketBy } : {}) };
}

/** `{"var": "email"}`, or `{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}` (the flag key is Sluice's salt). */
function bucketingAttribute(expr: Json): string {
  const varName = (e: Json): string | undefined => (isObject(e) && typeof e.var === 'string' ? e.var : isObject(e) && Array.isArray(e.var) && typeof e.var[0] === 'string' ? e.var[0] : undefined);
  const direct = varName(expr);
  if (direct !== undefined && !direct.startsWith('$flagd.')) return direct;
  if (isObject(expr) && Array.isArray(expr.cat)) {
    const vars = expr.cat.map(varName);
    const attrs = vars.filter((v): v is string => v !== undefined && !v.startsWith('$flagd.'));
    if (vars.every((v) => v !== undefined) && attrs.length === 1) return attrs[0];
  }
  throw new Unrepresentable(`fractional buckets by ${short(expr)}; Sluice buckets by one context attribute`);
}

export function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

