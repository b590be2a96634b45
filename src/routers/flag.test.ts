import { describe, expect, it } from 'vitest';
import { flagService } from '../flags/guarded.js';
import { FlagService } from '../flags/service.js';
import { parseFlagSetDocuments } from '../spec/flagset-parse.js';
import { createFlagStore } from '../store/flag-store-factory.js';
import { promotedRoutes, splitRoutes, stableRoutes } from '../engine/draft.js';
import type { RolloutSpec } from '../spec/types.js';
import { FlagRouter } from './flag.js';
import { RouterError } from './errors.js';

const YAML = `
apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: { name: shop, environment: production }
spec:
  flags:
    checkout: { variants: { on: true, off: false }, defaultVariant: off, enabled: false }
`;

function setup() {
  const flags = new FlagService({ store: createFlagStore({ type: 'memory' }) });
  flags.apply(parseFlagSetDocuments(YAML, 'x.yaml').flagSets, 'test');
  const target = { environment: 'production', key: 'checkout', variant: 'on' };
  const spec = { service: flagService(target), flag: target, steps: [], onFailure: 'rollback', onInconclusive: 'pause' } as RolloutSpec;
  return { flags, router: new FlagRouter(flags), spec };
}

describe('FlagRouter', () => {
  it.each([
    [0, undefined],
    [1, { on: 1 }],
    [25, { on: 25 }],
    [100, { on: 100 }],
  ])('weight %i sets the split %j and reads it back', async (weight, split) => {
    const { flags, router, spec } = setup();
    const routes = splitRoutes(spec, weight);
    await router.setRoutes('r', routes);
    const def = flags.flag('production', 'checkout').definition;
    expect(def.split).toEqual(split);
    expect(def.enabled).toBe(weight > 0);
    expect(await router.getRoutes('r')).toEqual(routes);
  });

  it('is idempotent: the same routes again write no new flag event', async () => {
    const { flags, router, spec } = setup();
    await router.setRoutes('r', splitRoutes(spec, 5));
    const before = flags.history('production', 'checkout').length;
    await router.setRoutes('r', splitRoutes(spec, 5));
    expect(flags.history('production', 'checkout')).toHaveLength(before);
    expect(flags.history('production', 'checkout').at(-1)?.actor).toBe('rollout/r');
  });

  it('rollback returns to 0% and promotion gives the variant everyone', async () => {
    const { flags, router, spec } = setup();
    await router.setRoutes('r', splitRoutes(spec, 50));
    await router.setRoutes('r', stableRoutes(spec));
    expect(flags.flag('production', 'checkout').definition.split).toBeUndefined();
    const promoted = promotedRoutes(spec);
    await router.setRoutes('r', promoted);
    expect(flags.flag('production', 'checkout').definition.split).toEqual({ on: 100 });
    expect(await router.getRoutes('r')).toEqual(promoted);
  });

  it('reports drift: a flag changed by hand reads back as it is', async () => {
    const { flags, router, spec } = setup();
    await router.setRoutes('r', splitRoutes(spec, 5));
    flags.setFlag('production', 'checkout', { variant: 'on', percent: 40 }, 'someone');
    expect((await router.getRoutes('r'))?.canaryWeight).toBe(40);
    expect(await router.getRoutes('unknown')).toBeUndefined();
  });

  it('never switches back on a flag switched off by hand during the rollout (kill switch), but does at its start', async () => {
    const { flags, spec } = setup();
    let t = 1_000;
    const clocked = new FlagService({ store: createFlagStore({ type: 'memory' }), now: () => ++t });
    clocked.apply(parseFlagSetDocuments(YAML, 'x.yaml').flagSets, 'test');
    let startedAt = 1_000;
    const router = new FlagRouter(clocked, { startedAt: () => startedAt });
    // The flag was off before the rollout started: its first step switches it on.
    await router.setRoutes('r', splitRoutes(spec, 5));
    expect(clocked.flag('production', 'checkout').definition).toMatchObject({ enabled: true, split: { on: 5 } });
    clocked.setFlag('production', 'checkout', { enabled: false }, 'alice');
    expect((await router.getRoutes('r'))?.canaryWeight).toBe(0);
    await router.setRoutes('r', splitRoutes(spec, 25));
    expect(clocked.flag('production', 'checkout').definition).toMatchObject({ enabled: false, split: { on: 25 } });
    expect((await router.getRoutes('r'))?.canaryWeight).toBe(0);
    clocked.setFlag('production', 'checkout', { enabled: true }, 'alice');
    expect((await router.getRoutes('r'))?.canaryWeight).toBe(25);
    // Each call reads only the history since the last: a second kill is seen as well as the first.
    await router.setRoutes('r', splitRoutes(spec, 30));
    clocked.setFlag('production', 'checkout', { enabled: false }, 'bob');
    await router.setRoutes('r', splitRoutes(spec, 40));
    expect(clocked.flag('production', 'checkout').definition).toMatchObject({ enabled: false, split: { on: 40 } });
    // A retried revision starts after the kill: its first step may switch the flag on again.
    startedAt = t + 1;
    await router.setRoutes('r', splitRoutes(spec, 5));
    expect(clocked.flag('production', 'checkout').definition).toMatchObject({ enabled: true, split: { on: 5 } });
    expect(flags.flag('production', 'checkout').definition.enabled).toBe(false);
  });

  it('refuses a missing flag or variant with SLUICE_ROUTES_INVALID', async () => {
    const { router } = setup();
    const missing = flagService({ environment: 'production', key: 'nope', variant: 'on' });
    const routes = { listen: missing.listen, stable: missing.stable.upstreams, canary: missing.canary.upstreams, canaryWeight: 1 };
    await expect(router.setRoutes('r', routes)).rejects.toMatchObject({ code: 'SLUICE_ROUTES_INVALID', message: expect.stringMatching(/no flag "nope"/) });
    const badVariant = flagService({ environment: 'production', key: 'checkout', variant: 'blue' });
    await expect(router.setRoutes('r', { listen: badVariant.listen, stable: badVariant.stable.upstreams, canary: badVariant.canary.upstreams, canaryWeight: 1 })).rejects.toThrow(/no variant "blue"/);
    await expect(router.setRoutes('r', { listen: '127.0.0.1:80', stable: [], canary: [], canaryWeight: 1 })).rejects.toBeInstanceOf(RouterError);
  });
});
