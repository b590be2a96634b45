import { describe, expect, it } from 'vitest';
import { createPolicy } from './policy.js';
import { createRng, seedOf } from './prng.js';
import { simulateMany, simulateRun } from './run.js';
import { binomial, poisson } from './sampling.js';
import { quantile, summarise } from './summary.js';
import type { PolicyOptions } from './policy.js';
import type { Scenario } from './types.js';

const S1: Scenario = { name: 'S1', rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.05 };
const ALL: PolicyOptions[] = [
  { type: 'sluice' },
  { type: 'flagger', threshold: 5 },
  { type: 'flagger', threshold: 1 },
  { type: 'argo' },
];

describe('seeded randomness', () => {
  it('replays the same stream for the same seed, another for another seed, always within [0, 1)', () => {
    const take = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 1000 }, () => rng.next());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    expect(take(0).every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = take(7).reduce((a, b) => a + b, 0) / 1000;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it.each([
    ['poisson', 0.3, (r: ReturnType<typeof createRng>) => poisson(r, 0.3), 0.3, 0.3],
    ['poisson', 8, (r: ReturnType<typeof createRng>) => poisson(r, 8), 8, 8],
    ['poisson (PTRS)', 1000, (r: ReturnType<typeof createRng>) => poisson(r, 1000), 1000, 1000],
    ['binomial', 0.01, (r: ReturnType<typeof createRng>) => binomial(r, 180, 0.01), 1.8, 180 * 0.01 * 0.99],
    ['binomial (BTRS)', 0.3, (r: ReturnType<typeof createRng>) => binomial(r, 900, 0.3), 270, 900 * 0.3 * 0.7],
    ['binomial (p > 0.5)', 0.9, (r: ReturnType<typeof createRng>) => binomial(r, 50, 0.9), 45, 50 * 0.9 * 0.1],
  ])('%s sampler (parameter %s) has the right mean and variance', (_name, _p, draw, mean, variance) => {
    const rng = createRng(seedOf(99, mean));
    const n = 20000;
    const xs = Array.from({ length: n }, () => draw(rng));
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    const m = xs.reduce((a, b) => a + b, 0) / n;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(v / variance).toBeGreaterThan(0.93);
    expect(v / variance).toBeLessThan(1.07);
  });
});

describe('simulated rollouts', () => {
  it.each(ALL)('are reproducible under a seed: %o', (options) => {
    const policy = createPolicy(options);
    const a = simulateMany(S1, policy, 20, (r) => createRng(seedOf(5, r)));
    const b = simulateMany(S1, policy, 20, (r) => createRng(seedOf(5, r)));
    const c = simulateMany(S1, policy, 20, (r) => createRng(seedOf(6, r)));
    expect(a).toEqual(b);
    expect(a.map((r) => r.badCanaryRequests)).not.toEqual(c.map((r) => r.badCanaryRequests));
  });

  it.each([
    // A canary that fails every request, or never fails: the policies' clocks, tick by tick.
    [{ type: 'flagger', threshold: 1 }, 1, 'rolledBack', 180],
    [{ type: 'flagger', threshold: 5 }, 1, 'rolledBack', 420],
    [{ type: 'flagger', threshold: 1 }, 0, 'promoted', 360],
    [{ type: 'argo' }, 1, 'rolledBack', 60],
    [{ type: 'argo' }, 0, 'promoted', 300],
  ] as const)('%o with canary error rate %s ends %s at %s s', (options, canaryErrorRate, outcome, seconds) => {
    const scenario: Scenario = { name: 'x', rps: 200, stableErrorRate: 0, canaryErrorRate };
    const result = simulateRun(scenario, createPolicy(options as PolicyOptions), createRng(1));
    expect(result).toMatchObject({ outcome, decisionSeconds: seconds });
  });

  it('sluice rolls a gross regression back within seconds, counting the bad requests it let through', () => {
    const results = simulateMany(S1, createPolicy({ type: 'sluice' }), 200, (r) => createRng(seedOf(8, r)));
    const s = summarise(results);
    expect(s.rollbackRate).toBe(1);
    expect(s.badMedian).toBeLessThanOrEqual(8);
    expect(results[0].reason).toMatch(/past the 100 : 1 that rolls back/);
  });

  it('sluice never promotes on silence: a step without events waits, then the rollout is held', () => {
    const quiet: Scenario = { name: 'quiet', rps: 50, stableErrorRate: 0, canaryErrorRate: 0 };
    const result = simulateRun(quiet, createPolicy({ type: 'sluice', maxWaitSeconds: 120 }), createRng(3));
    expect(result.outcome).toBe('held');
    expect(result.decisionSeconds).toBe(180);
    expect(result.reason).toMatch(/^only 0 events at 10% after 180 s \(need 10\): no error rate events/);
  });

  it('rejects an unknown policy type, naming the known ones', () => {
    expect(() => createPolicy({ type: 'kayenta' } as unknown as PolicyOptions)).toThrow(
      'unknown policy type "kayenta"; use one of "sluice", "flagger", "argo"',
    );
  });
});

describe('summaries', () => {
  it('takes nearest-rank quantiles and outcome rates', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    const base = { canaryRequests: 0, decisionSeconds: 10, reason: '' };
    const s = summarise([
      { ...base, outcome: 'rolledBack', badCanaryRequests: 3 },
      { ...base, outcome: 'promoted', badCanaryRequests: 1 },
      { ...base, outcome: 'held', badCanaryRequests: 2, decisionSeconds: 30 },
      { ...base, outcome: 'rolledBack', badCanaryRequests: 4 },
    ]);
    expect(s).toMatchObject({ runs: 4, rollbackRate: 0.5, promoteRate: 0.25, holdRate: 0.25, badMedian: 2, decisionSecondsP95: 30 });
  });
});
