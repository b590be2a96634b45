import { describe, expect, it } from 'vitest';
import { flagRolloutOf, flagTargetText, rolloutsOfFlag } from '../../web/src/flag-rollout.js';
import { flagHref, flagsHref, parseRoute, rolloutHref } from '../../web/src/routes.js';
import type { RolloutView } from '../../web/src/types.js';

describe('dashboard hash routes', () => {
  it.each([
    ['', { page: 'rollouts' }],
    ['#/', { page: 'rollouts' }],
    ['#/nonsense', { page: 'rollouts' }],
    [rolloutHref('web api'), { page: 'rollouts', name: 'web api' }],
    [flagsHref(), { page: 'flags' }],
    [flagsHref('production'), { page: 'flags', environment: 'production' }],
    [flagHref('production', 'new-checkout'), { page: 'flags', environment: 'production', key: 'new-checkout' }],
    [flagHref('staging', 'a/b c%'), { page: 'flags', environment: 'staging', key: 'a/b c%' }],
    ['#/flags/production/', { page: 'flags', environment: 'production' }],
    ['#/flags/production/%E0%A4%A', { page: 'flags', environment: 'production', key: '%E0%A4%A' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });
});

describe('guarded flag rollouts as the dashboard names them', () => {
  const view = (routes: RolloutView['routes'], phase: RolloutView['phase'] = 'progressing', name = 'checkout', key = 'new-checkout') =>
    ({ name, phase, canaryWeight: 99, routes, rollout: { metadata: { name }, spec: { steps: [], flag: { environment: 'production', key, variant: 'on' } } } }) as unknown as RolloutView;

  it('reads the share of users on the variant from the routes: the canary side while rolling out, what stable leaves once promoted', () => {
    const rolling = flagRolloutOf(view({ listen: 'flag:production/new-checkout', stable: ['new-checkout!=on'], canary: ['new-checkout=on'], canaryWeight: 25 }))!;
    expect(rolling).toMatchObject({ environment: 'production', key: 'new-checkout', variant: 'on', share: 25, variantSide: 'new-checkout=on', restSide: 'new-checkout!=on' });
    expect(flagRolloutOf(view({ listen: 'flag:production/new-checkout', stable: ['new-checkout=on'], canary: [], canaryWeight: 0 }))!.share).toBe(100);
    expect(flagTargetText(rolling)).toBe('flag production/new-checkout → on');
    const traffic = { ...view({ listen: '127.0.0.1:8080', stable: ['http://a'], canary: ['http://b'], canaryWeight: 10 }), rollout: { metadata: { name: 'web' }, spec: { steps: [] } } } as RolloutView;
    expect(flagRolloutOf(traffic)).toBeUndefined();
  });

  it('lists the rollouts of one flag, live ones first', () => {
    const routes = { listen: 'flag:production/new-checkout', stable: [], canary: [], canaryWeight: 0 };
    const all = [view(routes, 'promoted', 'a-old'), view(routes, 'paused', 'b-now'), view(routes, 'progressing', 'c-other', 'banner')];
    const live = (v: RolloutView) => v.phase === 'progressing' || v.phase === 'paused';
    expect(rolloutsOfFlag(all, 'production', 'new-checkout', live).map((v) => v.name)).toEqual(['b-now', 'a-old']);
  });
});
