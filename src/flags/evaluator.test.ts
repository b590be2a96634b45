import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFlagSetDocuments } from '../spec/flagset-parse.js';
import type { FlagSet } from '../spec/flagset-types.js';
import { evaluate, expectType } from './evaluate.js';
import { compileFlagSets } from './evaluator.js';

function flagSet(flags: string, segments = ''): FlagSet {
  const text = `apiVersion: sluice.dev/v1alpha1\nkind: FlagSet\nmetadata: {name: web, environment: production}\nspec:\n${segments}  flags:\n${flags}`;
  const { flagSets, errors } = parseFlagSetDocuments(text, 'test.yaml');
  expect(errors).toEqual([]);
  return flagSets[0];
}

const example = parseFlagSetDocuments(readFileSync(new URL('../../examples/flags/checkout.yaml', import.meta.url), 'utf8'), 'flags.yaml').flagSets[0];

const checkout = (percent: number, extra = '') => flagSet(`    new-checkout:
      variants: {on: true, off: false}
      defaultVariant: off
      rules:
        - name: nz
          conditions: [{attribute: country, equals: NZ}]
          serve: on
      split: {on: ${percent}}
${extra}`);

describe('evaluate: reasons, variants and metadata', () => {
  it('serves a targeted variant, the split, and says why', () => {
    const flags = compileFlagSets([checkout(10)]);
    expect(flags.evaluate('new-checkout', { targetingKey: 'u1', country: 'NZ' })).toEqual({
      value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { flagSet: 'web', rule: 'nz' },
    });
    const r = flags.evaluate('new-checkout', { targetingKey: 'user-42', country: 'AU' });
    expect(r).toMatchObject({ reason: 'SPLIT', flagMetadata: { flagSet: 'web' } });
    expect(r.errorCode).toBeUndefined();
  });

  it('places a user by the published bucketing: bucket 34907 is on exactly when the split reaches it', () => {
    // docs/flags-bucketing-vectors.json: salt new-checkout, value user-42 → bucket 34907.
    expect(evaluate(checkout(34.907), 'new-checkout', { targetingKey: 'user-42' }).variant).toBe('off');
    expect(evaluate(checkout(34.908), 'new-checkout', { targetingKey: 'user-42' }).variant).toBe('on');
  });

  it('STATIC without rules or split, DEFAULT when rules miss, DISABLED when off', () => {
    const set = flagSet(`    plain:
      variants: {a: "A", b: "B"}
      defaultVariant: b
    targeted:
      variants: {a: 1, b: 2}
      defaultVariant: b
      rules: [{conditions: [{attribute: x, equals: 1}], serve: a}]
    off:
      variants: {a: {n: 1}, b: {n: 2}}
      defaultVariant: a
      offVariant: b
      enabled: false
      rules: [{conditions: [{attribute: x, equals: 1}], serve: a}]
`);
    expect(evaluate(set, 'plain', {})).toMatchObject({ value: 'B', variant: 'b', reason: 'STATIC' });
    expect(evaluate(set, 'targeted', { x: 2 })).toMatchObject({ value: 2, variant: 'b', reason: 'DEFAULT' });
    expect(evaluate(set, 'targeted', { x: 1 })).toMatchObject({ value: 1, variant: 'a', reason: 'TARGETING_MATCH' });
    expect(evaluate(set, 'off', { x: 1 })).toMatchObject({ value: { n: 2 }, variant: 'b', reason: 'DISABLED' });
  });

  it('lays out several variants in order and serves the rest the default', () => {
    const set = flagSet(`    color:
      variants: {red: r, green: g, blue: b}
      defaultVariant: blue
      split: {red: 20, green: 30}
`);
    const counts: Record<string, number> = { red: 0, green: 0, blue: 0 };
    for (let i = 0; i < 10_000; i++) counts[evaluate(set, 'color', { targetingKey: `u${i}` }).variant!]++;
    expect(counts.red / 10_000).toBeCloseTo(0.2, 1);
    expect(counts.green / 10_000).toBeCloseTo(0.3, 1);
    expect(counts.blue / 10_000).toBeCloseTo(0.5, 1);
  });
});

describe('evaluate: splits are monotone and bucket by the chosen attribute', () => {
  it('raising a percentage only adds users to the variant', () => {
    const steps = [0, 1, 5, 25, 50, 100].map((p) => compileFlagSets([checkout(p)]));
    for (let i = 0; i < 5_000; i++) {
      const ctx = { targetingKey: `user-${i}` };
      let wasOn = false;
      for (const flags of steps) {
        const on = flags.evaluate('new-checkout', ctx).value === true;
        if (wasOn) expect(on, `user-${i} left "on" when the split grew`).toBe(true);
        wasOn = on;
      }
      expect(wasOn).toBe(true);
    }
  });

  it('reaches about 10.9 % on for the bench flag (10 % split plus the NZ rule)', () => {
    const flags = compileFlagSets([checkout(10)]);
    let on = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) on += flags.evaluate('new-checkout', { targetingKey: `user-${i}`, country: i % 100 === 0 ? 'NZ' : 'US' }).value === true ? 1 : 0;
    expect(on / n).toBeGreaterThan(0.10);
    expect(on / n).toBeLessThan(0.118);
  });

  it('needs the bucketing attribute only when a split really divides users', () => {
    expect(evaluate(checkout(10), 'new-checkout', { country: 'AU' })).toMatchObject({
      value: false, variant: 'off', reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(evaluate(checkout(10), 'new-checkout', { country: 'NZ' }).reason).toBe('TARGETING_MATCH');
    expect(evaluate(checkout(100), 'new-checkout', {})).toMatchObject({ value: true, reason: 'SPLIT' });
    expect(evaluate(checkout(0), 'new-checkout', {})).toMatchObject({ value: false, reason: 'DEFAULT' });
    const byAccount = checkout(50, '      bucketBy: account.id\n');
    expect(evaluate(byAccount, 'new-checkout', { targetingKey: 'x' })).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    const a = evaluate(byAccount, 'new-checkout', { targetingKey: 'x', account: { id: 7 } }).variant;
    for (const key of ['y', 'z', 'w']) expect(evaluate(byAccount, 'new-checkout', { targetingKey: key, account: { id: 7 } }).variant).toBe(a);
  });

  it('buckets flags with a shared salt alike, and others independently', () => {
    const set = flagSet(`    a: {variants: {on: true, off: false}, defaultVariant: off, split: {on: 50}, salt: shared}
    b: {variants: {on: true, off: false}, defaultVariant: off, split: {on: 50}, salt: shared}
    c: {variants: {on: true, off: false}, defaultVariant: off, split: {on: 50}}
`);
    let sameAB = 0;
    let sameAC = 0;
    for (let i = 0; i < 2_000; i++) {
      const ctx = { targetingKey: `k${i}` };
      const [a, b, c] = ['a', 'b', 'c'].map((k) => evaluate(set, k, ctx).value);
      sameAB += a === b ? 1 : 0;
      sameAC += a === c ? 1 : 0;
    }
    expect(sameAB).toBe(2_000);
    expect(sameAC / 2_000).toBeGreaterThan(0.45);
    expect(sameAC / 2_000).toBeLessThan(0.55);
  });
});

describe('evaluate: never throws', () => {
  it('returns error results for unknown flags, bad contexts and failing attribute reads', () => {
    expect(evaluate(example, 'nope', {})).toMatchObject({ value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(evaluate(example, 'new-checkout', 'user-1' as never)).toMatchObject({ reason: 'ERROR', errorCode: 'INVALID_CONTEXT' });
    expect(evaluate(example, 'new-checkout', null)).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    const hostile = Object.defineProperty({}, 'country', { get() { throw new Error('boom'); } });
    expect(evaluate(example, 'new-checkout', hostile)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL', errorMessage: expect.stringContaining('boom') });
    expect(evaluate({ spec: 'garbage' } as never, 'x', {})).toMatchObject({ reason: 'ERROR', errorCode: 'PARSE_ERROR' });
  });

  it('shares frozen results, so callers cannot corrupt later evaluations', () => {
    const flags = compileFlagSets([example]);
    const ctx = { plan: 'pro', appVersion: '2.5.0' };
    const first = flags.evaluate('max-cart-items', ctx);
    expect(first).toBe(flags.evaluate('max-cart-items', ctx));
    expect(Object.isFrozen(first)).toBe(true);
    const obj = compileFlagSets([example]).evaluate('payment-providers', {});
    expect(obj.value).toEqual({ providers: ['card'] });
    expect(() => ((obj.value as { providers: string[] }).providers.push('x'))).toThrow(TypeError);
    // The document itself is not frozen by compiling.
    expect(Object.isFrozen(example.spec.flags['payment-providers'].variants.default)).toBe(false);
  });

  it('reports a type mismatch on request', () => {
    const r = evaluate(example, 'max-cart-items', {});
    expect(expectType(r, 'number')).toBe(r);
    expect(expectType(r, 'boolean')).toMatchObject({ value: 20, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });
});
