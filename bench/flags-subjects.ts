import { compileFlagSets } from '../src/flags/evaluator.js';
import { validateFlagSet } from '../src/spec/flagset-parse.js';
import type { FlagSet } from '../src/spec/flagset-types.js';
import type { BenchContext, Peer } from './flags-peers.js';

/** The bench flag as a Sluice FlagSet: country equals NZ → on, else 10 % on by targetingKey. */
export const BENCH_FLAGSET = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'FlagSet',
  metadata: { name: 'bench', environment: 'bench' },
  spec: {
    flags: {
      'new-checkout': {
        variants: { on: true, off: false },
        defaultVariant: 'off',
        rules: [{ name: 'nz', conditions: [{ attribute: 'country', equals: 'NZ' }], serve: 'on' }],
        split: { on: 10 },
      },
    },
  },
};

export function benchFlagSet(): FlagSet {
  const { flagSet, errors } = validateFlagSet(BENCH_FLAGSET, 'bench');
  if (!flagSet) throw new Error(`bench FlagSet invalid: ${JSON.stringify(errors)}`);
  return flagSet;
}

/** 10,000 distinct contexts; 1 % in NZ, so about 1 % + 99 % × 10 % = 10.9 % are on. */
export function benchContexts(n = 10_000): BenchContext[] {
  const others = ['US', 'GB', 'DE', 'FR', 'AU', 'JP', 'BR', 'IN', 'CA'];
  return Array.from({ length: n }, (_, i) => ({ targetingKey: `user-${i}`, country: i % 100 === 0 ? 'NZ' : others[i % others.length] }));
}

export const EXPECTED_ON = 0.109;

/** Sluice's compiled evaluator, through its public `evaluate(key, context)`. */
export function sluiceSubject(version: string): Peer {
  const flags = compileFlagSets([benchFlagSet()]);
  return {
    name: 'sluice',
    version,
    prepare: (ctx) => ({ targetingKey: ctx.targetingKey, country: ctx.country }),
    evaluate: (ctx) => flags.evaluate('new-checkout', ctx as Record<string, unknown>).value === true,
    close: async () => undefined,
  };
}

/** The floor: the same rule written by hand with an inline FNV-1a hash. No SDK can do less. */
export function floorSubject(): Peer {
  return {
    name: 'hand-written rule (floor)',
    version: '-',
    prepare: (ctx) => ({ targetingKey: ctx.targetingKey, country: ctx.country }),
    evaluate: (native) => {
      const ctx = native as BenchContext;
      if (ctx.country === 'NZ') return true;
      const key = ctx.targetingKey;
      let h = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      return (h >>> 0) % 100 < 10;
    },
    close: async () => undefined,
  };
}
