import { condition, NAME_PATTERN } from './flagset-conditions.js';
import type { FlagType, FlagValue } from './flagset-types.js';
import { INVALID, isMapping, list, object, optional, record, required, withDefault, type Infer, type ObjectOut, type Report, type Schema } from './schema.js';
import { number, oneOf, string } from './schema-scalars.js';
import { describeValue } from './spec-error.js';
import { suggestName } from './suggest.js';
import { API_VERSION } from './types.js';

/**
 * The FlagSet document as users write it. Validation, defaults and the JSON
 * Schema come from this one definition; flagset-parse.ts fills in defaults.
 */

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (description: string, example: string) =>
  string({ description, expected: `a DNS label of lowercase letters, digits and "-", such as "${example}"`, pattern: DNS_LABEL, maxLength: 63 });

const name = (description: string, example: string, maxLength = 128) =>
  string({ description, expected: `a name of letters, digits, "-", "_" and ".", such as "${example}"`, pattern: NAME_PATTERN, maxLength });

const variantName = name('a variant name', 'on', 64);

const boolean = (description: string): Schema<boolean> => ({
  description,
  parse(value, path, issues) {
    if (typeof value === 'boolean') return value;
    issues.push({ path, at: 'value', message: `must be true or false, got ${describeValue(value)}` });
    return INVALID;
  },
  toJsonSchema: () => ({ type: 'boolean', description }),
});

export function flagTypeOf(value: FlagValue): FlagType {
  return typeof value === 'object' ? 'object' : (typeof value as FlagType);
}

const variantValue: Schema<FlagValue> = {
  description: 'a variant value: boolean, string, number or a mapping (JSON object)',
  parse(value, path, issues) {
    if (typeof value === 'boolean' || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
    if (isMapping(value)) return value;
    const hint = Array.isArray(value) ? '; wrap a list in a mapping, e.g. {items: [...]}' : '';
    issues.push({ path, at: 'value', message: `must be a boolean, string, number or mapping, got ${describeValue(value)}${hint}` });
    return INVALID;
  },
  toJsonSchema: () => ({ description: 'a variant value', type: ['boolean', 'string', 'number', 'object'] }),
};

/** Percent per variant; steps of 0.001 (one bucket in 100,000), summing to at most 100. */
const split: Schema<Record<string, number>> = (() => {
  const inner = record(variantName, number({ description: 'percent of users', min: 0, max: 100 }), 'variant → percent of users; the rest get the default variant');
  return {
    description: inner.description,
    parse(value, path, issues) {
      const parsed = inner.parse(value, path, issues);
      if (parsed === INVALID) return INVALID;
      const before = issues.length;
      let sum = 0;
      for (const [variant, percent] of Object.entries(parsed)) {
        if (Math.abs(percent * 1000 - Math.round(percent * 1000)) > 1e-6) issues.push({ path: [...path, variant], at: 'value', message: `must be a multiple of 0.001 (one bucket in 100,000), got ${percent}` });
        sum += percent;
      }
      if (sum > 100 + 1e-9) issues.push({ path, at: 'value', message: `percentages add up to ${Math.round(sum * 1000) / 1000}, more than 100` });
      return issues.length > before ? INVALID : parsed;
    },
    toJsonSchema: () => inner.toJsonSchema(),
  };
})();

const conditions = list(condition, { description: 'conditions that must all hold', minItems: 1 });

const rule = object(
  {
    name: optional(name('the rule\'s name, shown in evaluation metadata (default rule-N)', 'new-zealand', 64)),
    conditions: required(conditions),
    serve: optional(variantName),
    split: optional(split),
  },
  {
    description: 'a targeting rule: when all conditions hold, serve a variant or split users across variants',
    check: (_v, report, raw) => {
      if (raw.serve === undefined && raw.split === undefined) report(['serve'], 'parent', 'missing required field: a rule needs "serve: <variant>" or "split: {<variant>: <percent>}"');
      if (raw.serve !== undefined && raw.split !== undefined) report(['split'], 'key', 'cannot be combined with "serve"; use one of them');
    },
    jsonSchema: { oneOf: [{ required: ['serve'] }, { required: ['split'] }] },
  },
);

const flagFields = {
  description: optional(string({ description: 'what the flag is for', expected: 'text', allowEmpty: true, maxLength: 2000 })),
  type: optional(oneOf<FlagType>(['boolean', 'string', 'number', 'object'], 'the type of every variant value (inferred from the variants when omitted)')),
  variants: required(record(variantName, variantValue, 'the values the flag can take, by variant name')),
  enabled: withDefault(boolean('false switches the flag off: everyone gets offVariant'), true),
  defaultVariant: required(variantName),
  offVariant: optional(name('the variant served while the flag is off (default: defaultVariant)', 'off', 64)),
  rules: withDefault(list(rule, {
    description: 'targeting rules, tried in order; the first whose conditions all hold decides',
    unique: { key: (r) => (isMapping(r) && typeof r.name === 'string' ? r.name : undefined), what: 'rule name', at: ['name'] },
  }), []),
  split: optional(split),
  salt: optional(string({ description: 'mixed into the bucketing hash (default: the flag key); flags sharing a salt bucket users alike', expected: 'a non-empty string', maxLength: 256 })),
  bucketBy: withDefault(string({ description: 'the context attribute hashed for splits', expected: 'an attribute name such as "targetingKey" or "accountId"', pattern: /^[^\s]+$/, maxLength: 256 }), 'targetingKey'),
};

const flag = object(flagFields, { description: 'one feature flag', check: checkFlag });

const segment = object(
  {
    description: optional(string({ description: 'who the segment is', expected: 'text', allowEmpty: true, maxLength: 2000 })),
    conditions: required(conditions),
  },
  { description: 'a reusable group of conditions, all of which must hold' },
);

const spec = object(
  {
    segments: withDefault(record(name('segment name', 'beta-testers'), segment, 'reusable segments, referenced by conditions as {segment: name}'), {}),
    flags: required(record(name('flag key', 'new-checkout'), flag, 'the flags, by key (unique in the environment)')),
  },
  { description: 'segments and flags', check: checkSegmentReferences },
);

/** The FlagSet format definition (input form). */
export const flagSetSchema = object(
  {
    apiVersion: required(oneOf<typeof API_VERSION>([API_VERSION], 'format version')),
    kind: required(oneOf(['FlagSet'], 'document kind')),
    metadata: required(object(
      {
        name: required(dnsLabel('the flag set\'s name, unique per environment', 'checkout')),
        environment: required(dnsLabel('the environment the flags belong to, e.g. production or staging', 'production')),
        labels: optional(record(
          string({ description: 'label key', expected: 'a label key such as "team"', pattern: /^[A-Za-z0-9][-A-Za-z0-9_./]*$/, maxLength: 316 }),
          string({ description: 'label value', expected: 'a label value', allowEmpty: true, maxLength: 63 }),
          'free-form labels',
        )),
      },
      { description: 'identifies the flag set and its environment' },
    )),
    spec: required(spec),
  },
  { description: 'A Sluice FlagSet: feature flags of one environment with targeting rules and percentage splits.' },
);

export type FlagSetInput = Infer<typeof flagSetSchema>;
type FlagInput = ObjectOut<typeof flagFields>;

function checkFlag(v: Partial<FlagInput>, report: Report): void {
  const variants = v.variants;
  if (!variants) return;
  const names = Object.keys(variants);
  if (names.length === 0) {
    report(['variants'], 'value', 'must define at least one variant, e.g. {on: true, off: false}');
    return;
  }
  const expected = v.type ?? flagTypeOf(variants[names[0]]);
  for (const n of names) {
    const t = flagTypeOf(variants[n]);
    if (t !== expected) report(['variants', n], 'value', v.type ? `must be a ${expected} (type: ${expected}), got a ${t}` : `must be a ${expected} like variant "${names[0]}", got a ${t}; all variants of a flag have one type`);
  }
  const known = (field: Array<string | number>, variant: string | undefined): void => {
    if (variant === undefined || Object.hasOwn(variants, variant)) return;
    const guess = suggestName(variant, names);
    report(field, 'value', `names no variant of this flag ("${variant}")${guess ? `; did you mean "${guess}"?` : `; variants are ${names.join(', ')}`}`);
  };
  known(['defaultVariant'], v.defaultVariant);
  known(['offVariant'], v.offVariant);
  for (const s of Object.keys(v.split ?? {})) known(['split', s], s);
  v.rules?.forEach((r, i) => {
    known(['rules', i, 'serve'], r.serve);
    for (const s of Object.keys(r.split ?? {})) known(['rules', i, 'split', s], s);
  });
}

function checkSegmentReferences(_v: unknown, report: Report, raw: Readonly<Record<string, unknown>>): void {
  const segments = isMapping(raw.segments) ? raw.segments : {};
  const defined = Object.keys(segments);
  const eachCondition = (conds: unknown, at: (string | number)[], fn: (c: Record<string, unknown>, path: (string | number)[]) => void) => {
    if (Array.isArray(conds)) conds.forEach((c, i) => isMapping(c) && fn(c, [...at, i]));
  };
  for (const [segName, seg] of Object.entries(segments)) {
    if (!isMapping(seg)) continue;
    eachCondition(seg.conditions, ['segments', segName, 'conditions'], (c, path) => {
      if (c.segment !== undefined) report([...path, 'segment'], 'key', 'segments cannot refer to other segments; list the conditions here, or add both segments to the rule');
    });
  }
  const flags = isMapping(raw.flags) ? raw.flags : {};
  for (const [key, f] of Object.entries(flags)) {
    if (!isMapping(f) || !Array.isArray(f.rules)) continue;
    f.rules.forEach((r, i) => {
      if (!isMapping(r)) return;
      eachCondition(r.conditions, ['flags', key, 'rules', i, 'conditions'], (c, path) => {
        if (typeof c.segment !== 'string' || Object.hasOwn(segments, c.segment)) return;
        const guess = suggestName(c.segment, defined);
        report([...path, 'segment'], 'value', `no segment "${c.segment}" in spec.segments${guess ? `; did you mean "${guess}"?` : defined.length ? `; segments are ${defined.join(', ')}` : '; define it under spec.segments'}`);
      });
    });
  }
}
