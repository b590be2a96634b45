import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { flagSetJsonSchema, parseFlagSetDocuments, validateFlagSet } from './flagset-parse.js';
import type { FlagSet } from './flagset-types.js';
import { formatSpecError } from './spec-error.js';

// Lines 1–7; the flags of each case start on line 8.
const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata:
  name: checkout
  environment: production
spec:
  flags:
`;

function errorsOf(text: string): string[] {
  return parseFlagSetDocuments(text, 'f.yaml').errors.map(formatSpecError);
}

function flagSetOf(text: string): FlagSet {
  const { flagSets, errors } = parseFlagSetDocuments(text, 'f.yaml');
  expect(errors.map(formatSpecError)).toEqual([]);
  expect(flagSets).toHaveLength(1);
  return flagSets[0];
}

const exampleText = readFileSync(new URL('../../examples/flags/checkout.yaml', import.meta.url), 'utf8');

describe('parseFlagSetDocuments: valid documents', () => {
  it('fills in every default', () => {
    const set = flagSetOf(`${HEAD}    dark-mode:
      variants: {on: true, off: false}
      defaultVariant: off
      rules:
        - conditions: [{attribute: country, equals: NZ}]
          serve: on
        - name: beta
          conditions: [{attribute: groups, contains: beta, not: true}]
          split: {on: 12.5}
`);
    expect(set.spec).toEqual({
      segments: {},
      flags: {
        'dark-mode': {
          type: 'boolean',
          variants: { on: true, off: false },
          enabled: true,
          defaultVariant: 'off',
          offVariant: 'off',
          rules: [
            { name: 'rule-1', conditions: [{ attribute: 'country', equals: 'NZ' }], serve: 'on' },
            { name: 'beta', conditions: [{ attribute: 'groups', contains: 'beta', not: true }], split: { on: 12.5 } },
          ],
          salt: 'dark-mode',
          bucketBy: 'targetingKey',
        },
      },
    });
  });

  it('reads the example, and the normalised form is valid input that normalises to itself', () => {
    const set = flagSetOf(exampleText);
    expect(Object.keys(set.spec.flags)).toEqual(['new-checkout', 'checkout-button-color', 'max-cart-items', 'payment-providers']);
    expect(set.spec.flags['max-cart-items'].type).toBe('number');
    expect(set.spec.flags['payment-providers'].variants.extended).toEqual({ providers: ['card', 'paypal', 'apple-pay'] });
    const again = validateFlagSet(JSON.parse(JSON.stringify(set)), 'stored');
    expect(again.errors).toEqual([]);
    expect(again.flagSet).toEqual(set);
  });

  it('accepts every operator with a suitable operand', () => {
    const ops = `equals: 3|notEquals: x|in: [a, 1, true]|notIn: [b]|startsWith: ab|endsWith: [x, y]|contains: 7|matches: "^[a-z]+@example\\\\.com$"|gt: 1|gte: 1.5|lt: -1|lte: 0|semverEq: 1.0.0|semverGt: v2.0.0-rc.1|semverGte: 1.2.3+build|semverLt: 3.0.0|semverLte: 3.0.0|before: "2025-01-01"|after: "2025-01-01T09:30:00Z"`;
    const conds = ops.split('|').map((op) => `            - {attribute: a, ${op}}`).join('\n');
    const set = flagSetOf(`${HEAD}    f:
      variants: {a: 1}
      defaultVariant: a
      rules:
        - conditions:
${conds}
          serve: a
`);
    expect(set.spec.flags.f.rules[0].conditions).toHaveLength(19);
  });
});

describe('parseFlagSetDocuments: errors with file:line:column', () => {
  it('reports every problem of a flag at once, each where it is', () => {
    expect(errorsOf(`${HEAD}    new-checkout:
      variants: {on: true, off: "no"}
      defaultVariant: of
      enabled: yes please
      rules:
        - conditions: [{attribute: country, equals: NZ, in: [AU]}]
          serve: onn
        - conditions: [{attribute: email, matches: "(a)\\\\1"}]
          split: {on: 60, off: 50.0005}
        - conditions: [{attribute: v, semverGt: "2.x"}, {attribute: d, before: tomorrow}, {attribute: n, gt: "5"}]
        - conditions: [{attribute: c, eqals: NZ}]
          serve: on
          split: {on: 5}
`)).toEqual([
      'f.yaml:9:33: spec.flags.new-checkout.variants.off: must be a boolean like variant "on", got a string; all variants of a flag have one type',
      'f.yaml:10:23: spec.flags.new-checkout.defaultVariant: names no variant of this flag ("of"); did you mean "on"?',
      'f.yaml:11:16: spec.flags.new-checkout.enabled: must be true or false, got "yes please"',
      'f.yaml:13:57: spec.flags.new-checkout.rules[0].conditions[0].in: cannot be combined with "equals": a condition has one operator; write a second condition (conditions of a rule must all hold)',
      'f.yaml:15:52: spec.flags.new-checkout.rules[1].conditions[0].matches: "(a)\\\\1" cannot be matched in linear time (it uses a backreference, lookahead/lookbehind or a large counted repetition such as a{1000}); rewrite it without them, or use an exact or prefix rule',
      'f.yaml:16:18: spec.flags.new-checkout.rules[1].split: percentages add up to 110.001, more than 100',
      'f.yaml:16:32: spec.flags.new-checkout.rules[1].split.off: must be a multiple of 0.001 (one bucket in 100,000), got 50.0005',
      'f.yaml:17:11: spec.flags.new-checkout.rules[2].serve: missing required field: a rule needs "serve: <variant>" or "split: {<variant>: <percent>}"',
      'f.yaml:17:49: spec.flags.new-checkout.rules[2].conditions[0].semverGt: must be a semantic version such as "2.1.0" or "1.0.0-beta.2", got "2.x"',
      'f.yaml:17:80: spec.flags.new-checkout.rules[2].conditions[1].before: must be an ISO 8601 date or time such as "2025-07-01" or "2025-07-01T09:00:00Z", got "tomorrow"',
      'f.yaml:17:110: spec.flags.new-checkout.rules[2].conditions[2].gt: must be a number, got "5"',
      'f.yaml:18:24: spec.flags.new-checkout.rules[3].conditions[0]: needs one operator: equals, notEquals, in, notIn, startsWith, endsWith, contains, matches, gt, gte, lt, lte, semverEq, semverGt, semverGte, semverLt, semverLte, before, after',
      'f.yaml:18:39: spec.flags.new-checkout.rules[3].conditions[0].eqals: unknown field; did you mean "equals"?',
      'f.yaml:20:11: spec.flags.new-checkout.rules[3].split: cannot be combined with "serve"; use one of them',
    ]);
  });

  it('checks segment references and forbids segments inside segments', () => {
    expect(errorsOf(`apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: {name: checkout, environment: production}
spec:
  segments:
    staff:
      conditions: [{segment: staff}]
  flags:
    f:
      variants: {a: 1, b: 2}
      defaultVariant: a
      rules:
        - conditions: [{segment: stuff}]
          serve: b
`)).toEqual([
      'f.yaml:7:21: spec.segments.staff.conditions[0].segment: segments cannot refer to other segments; list the conditions here, or add both segments to the rule',
      'f.yaml:13:34: spec.flags.f.rules[0].conditions[0].segment: no segment "stuff" in spec.segments; did you mean "staff"?',
    ]);
  });

  it('rejects bad names, unknown kinds and a set defined twice', () => {
    const doc = (name: string, env: string) => `apiVersion: sluice.dev/v1alpha1\nkind: FlagSet\nmetadata: {name: ${name}, environment: ${env}}\nspec: {flags: {}}\n`;
    expect(errorsOf(`${doc('Checkout', 'prod')}---\n${doc('a', 'prod')}---\n${doc('a', 'prod')}`)).toEqual([
      'f.yaml:3:18: metadata.name: must be a DNS label of lowercase letters, digits and "-", such as "checkout", got "Checkout"',
      'f.yaml:13:18: metadata.name: flag set "a" for environment "prod" is already defined in this file (line 8); names must be unique per environment',
    ]);
    expect(errorsOf('apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: {name: a, environment: b}\nspec: {flags: {}}\n')[0]).toBe('f.yaml:2:7: kind: must be "FlagSet", got "Rollout"');
  });

  it('rejects a flag whose type does not match its variants, and lists in variant values', () => {
    expect(errorsOf(`${HEAD}    limit:
      type: number
      variants: {low: 5, high: "100"}
      defaultVariant: low
    tags:
      variants: {a: [x, y]}
      defaultVariant: a
`)).toEqual([
      'f.yaml:10:32: spec.flags.limit.variants.high: must be a number (type: number), got a string',
      'f.yaml:13:21: spec.flags.tags.variants.a: must be a boolean, string, number or mapping, got a list; wrap a list in a mapping, e.g. {items: [...]}',
    ]);
  });
});

describe('FlagSet JSON Schema', () => {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  const validate = ajv.compile(flagSetJsonSchema());

  it('accepts the example and the normalised form', () => {
    expect(validate(parseYaml(exampleText)), JSON.stringify(validate.errors)).toBe(true);
    const set = flagSetOf(exampleText);
    expect(validate(JSON.parse(JSON.stringify(set))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects what the parser rejects for its shape', () => {
    const bad = parseYaml(exampleText) as { spec: { flags: Record<string, Record<string, unknown>> } };
    bad.spec.flags['new-checkout'].rules = [{ conditions: [{ attribute: 'a' }], serve: 'on', split: { on: 5 } }];
    expect(validate(bad)).toBe(false);
  });
});
