import { describe, expect, it } from 'vitest';
import type { AnalysisSpec } from '../../spec/types.js';
import { createRng, seedOf } from '../simulate/prng.js';
import { binomial, poisson } from '../simulate/sampling.js';
import { binomialUpperTail, poissonBelow } from './distributions.js';
import { thresholdDetection, windowFails } from './threshold-power.js';

const ANALYSIS: AnalysisSpec = { interval: 10_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 50, metrics: [{ name: 'success-rate', min: 99 }] };

/** P(X ≥ k), X ~ Binomial(n, p), by the plain sum. */
function tail(k: number, n: number, p: number): number {
  let sum = 0;
  let c = 1; // C(n, j), built up term by term
  for (let j = 0; j <= n; j++) {
    if (j > 0) c = (c * (n - j + 1)) / j;
    if (j >= k) sum += c * p ** j * (1 - p) ** (n - j);
  }
  return sum;
}

describe('exact distributions', () => {
  it.each([
    [3, 200, 0.005],
    [2, 100, 0.01],
    [0, 10, 0.3],
    [11, 10, 0.3],
    [40, 900, 0.03],
  ])('binomial tail P(X ≥ %i) for n = %i, p = %s matches the plain sum', (k, n, p) => {
    expect(binomialUpperTail(k, n, p)).toBeCloseTo(tail(k, n, p), 9);
  });

  it('Poisson lower tail', () => {
    // P(N < 3) for mean 2: e^-2 (1 + 2 + 2) = 0.676676…
    expect(poissonBelow(3, 2)).toBeCloseTo(5 * Math.exp(-2), 9);
    expect(poissonBelow(50, 2000)).toBeLessThan(1e-12);
    expect(poissonBelow(0, 5)).toBe(0);
  });
});

describe('windowFails', () => {
  it.each([
    // n requests, error rate, bounds, fewest errors that fail (below 99%: 100 requests fail at 2 errors, not at exactly 99%)
    [100, 0.01, { min: 99 }, 2],
    [200, 0.005, { min: 99 }, 3],
    [199, 0.005, { min: 99 }, 2],
    [50, 0.02, { min: 95 }, 3],
  ])('%i requests at %s errors against %o fail from %i errors on', (n, rate, bounds, k) => {
    expect(windowFails(n, rate, bounds)).toBeCloseTo(tail(k, n, rate), 10);
  });

  it('a maximum fails windows that are too good, and no requests never fail', () => {
    expect(windowFails(100, 0.01, { max: 99.5 })).toBeCloseTo(1 - tail(1, 100, 0.01), 10);
    expect(windowFails(0, 0.5, { min: 99 })).toBe(0);
  });
});

describe('windowFails on error-rate and on several metrics', () => {
  it('an error-rate maximum of 1% fails where a success-rate minimum of 99% does (above 1% errors)', () => {
    expect(windowFails(200, 0.005, { name: 'error-rate', max: 1 })).toBeCloseTo(tail(3, 200, 0.005), 10);
    expect(windowFails(200, 0.005, { name: 'error-rate', max: 1 })).toBeCloseTo(windowFails(200, 0.005, { min: 99 }), 12);
  });

  it('an error-rate minimum fails windows with too few errors', () => {
    // 100 requests, min 2%: 0 or 1 errors fail.
    expect(windowFails(100, 0.01, { name: 'error-rate', min: 2 })).toBeCloseTo(1 - tail(2, 100, 0.01), 10);
  });

  it('several metrics fail a window when any of them does: the strictest bound decides', () => {
    const both = windowFails(200, 0.005, [{ name: 'success-rate', min: 99 }, { name: 'error-rate', max: 0.5 }]);
    expect(both).toBeCloseTo(tail(2, 200, 0.005), 10); // 0.5% of 200 is 1 error: 2 fail
  });
});

describe('thresholdDetection by metric kind', () => {
  const base = { rps: 200, weight: 10, healthyRate: 0.005, regressedRate: 0.01, power: 0.95, stageSeconds: 20 };

  it('judges an error-rate check as it judges the success-rate check it mirrors', () => {
    const sr = thresholdDetection({ ...base, analysis: ANALYSIS });
    const er = thresholdDetection({ ...base, analysis: { ...ANALYSIS, metrics: [{ name: 'error-rate', max: 1 }] } });
    expect(er.regressedFail).toBeCloseTo(sr.regressedFail, 12);
    expect(er.seconds).toBe(sr.seconds);
  });

  it('does not take mirror-success-rate for a check of the canary\'s own errors, and says the plan cannot tell', () => {
    const d = thresholdDetection({ ...base, analysis: { ...ANALYSIS, metrics: [{ name: 'mirror-success-rate', min: 99 }, { name: 'mirror-latency-p99', maxRatio: 1.5 }] } });
    expect(d.regressedFail).toBe(0);
    expect(d.why).toBe('the plan cannot tell: errors are judged only on mirrored copies of stable\'s requests (mirror-success-rate ≥ 99%), which it does not model');
  });

  it('says a rollout with latency checks alone does not look at errors', () => {
    const d = thresholdDetection({ ...base, analysis: { ...ANALYSIS, metrics: [{ name: 'latency-p99', max: 400 }] } });
    expect(d.why).toBe('no success-rate or error-rate check: threshold checks do not look at errors');
  });

  it('leaves dry-run metrics out, as the checks do', () => {
    const d = thresholdDetection({ ...base, analysis: { ...ANALYSIS, metrics: [{ name: 'success-rate', min: 99, dryRun: true }] } });
    expect(d.regressedFail).toBe(0);
  });
});

describe('thresholdDetection', () => {
  const input = { analysis: ANALYSIS, rps: 200, weight: 10, healthyRate: 0.005, regressedRate: 0.01, power: 0.95, stageSeconds: 20 };

  it('matches a Monte Carlo of Poisson windows and binomial errors', () => {
    const d = thresholdDetection(input);
    const rng = createRng(seedOf(11));
    const n = 20_000;
    let fails = 0;
    for (let i = 0; i < n; i++) {
      const requests = poisson(rng, 200);
      const errors = binomial(rng, requests, 0.01);
      if (requests >= 50 && (100 * (requests - errors)) / requests < 99) fails++;
    }
    const sd = Math.sqrt((d.regressedFail * (1 - d.regressedFail)) / n);
    expect(Math.abs(fails / n - d.regressedFail)).toBeLessThan(4 * sd);
    expect(d.requestsPerCheck).toBe(200);
    expect(d.conclusive).toBeCloseTo(1, 12);
  });

  it('needs the fewest checks whose chance of failureLimit + 1 failures reaches the power', () => {
    const d = thresholdDetection(input);
    const k = d.seconds! / 10;
    expect(tail(2, k, d.regressedFail)).toBeGreaterThanOrEqual(0.95);
    expect(tail(2, k - 1, d.regressedFail)).toBeLessThan(0.95);
    // Two checks in the 20 s stage: both must fail.
    expect(d.powerInStep).toBeCloseTo(d.regressedFail ** 2, 10);
    expect(d.healthyFail).toBeLessThan(d.regressedFail);
  });

  it.each([
    ['little traffic', { rps: 2 }, /almost never see minRequests 50 canary requests \(~2 per check\)/],
    ['no success-rate check', { analysis: { ...ANALYSIS, metrics: [{ name: 'latency-p99' as const, max: 500 }] } }, /no success-rate or error-rate check/],
    ['a regression within the bound', { regressedRate: 0.006, analysis: { ...ANALYSIS, interval: 600_000, failureLimit: 30 } }, /fails with probability/],
  ])('says why it never detects with %s', (_name, change, why) => {
    const d = thresholdDetection({ ...input, ...change });
    expect(d.seconds).toBeUndefined();
    expect(d.why).toMatch(why);
  });
});
