import { describe, expect, it } from 'vitest';
import { decideCountTest, initCountTest, toMetricVerdict, updateCountTest } from './sequential.js';
import { batchLogLR } from './sequential-mixture.js';
import { SequentialError } from './sequential-types.js';
import type { CountBatch, CountTestOptions } from './sequential-types.js';
import { createRng, seedOf } from './simulate/prng.js';
import type { Rng } from './simulate/prng.js';
import { binomial, poisson } from './simulate/sampling.js';

/** One batch of Poisson traffic at canary share `share`, errors at `rate` (stable) and `ratio`·rate (canary). */
function draw(rng: Rng, requests: number, share: number, rate: number, ratio: number): CountBatch {
  const canaryRequests = poisson(rng, requests * share);
  const stableRequests = poisson(rng, requests * (1 - share));
  return {
    canaryRequests,
    canaryErrors: binomial(rng, canaryRequests, Math.min(1, rate * ratio)),
    stableRequests,
    stableErrors: binomial(rng, stableRequests, rate),
  };
}

interface Trial {
  runs: number;
  looks: number;
  ratio: number;
  options: CountTestOptions;
  /** Canary share at look i. */
  share: (i: number) => number;
  /** Stable error rate at look i (the shared, drifting baseline). */
  rate: (i: number) => number;
  requests?: number;
}

/** Runs the test at every look; returns the share of runs that failed and that passed. */
function trial(t: Trial, seed: number): { fail: number; pass: number; pooledRatio: number } {
  let fail = 0;
  let pass = 0;
  const pooled = { canaryRequests: 0, canaryErrors: 0, stableRequests: 0, stableErrors: 0 };
  for (let r = 0; r < t.runs; r++) {
    const rng = createRng(seedOf(seed, r));
    let state = initCountTest(t.options);
    for (let i = 0; i < t.looks && state.decided === undefined; i++) {
      const batch = draw(rng, t.requests ?? 100, t.share(i), t.rate(i), t.ratio);
      for (const k of Object.keys(pooled) as (keyof CountBatch)[]) pooled[k] += batch[k];
      state = updateCountTest(state, batch);
    }
    if (state.decided?.verdict === 'fail') fail++;
    if (state.decided?.verdict === 'pass') pass++;
  }
  const pooledRatio = pooled.canaryErrors / pooled.canaryRequests / (pooled.stableErrors / pooled.stableRequests);
  return { fail: fail / t.runs, pass: pass / t.runs, pooledRatio };
}

/** A binomial standard error's worth of slack for a rate measured over `runs`. */
const slack = (p: number, runs: number): number => 3 * Math.sqrt((p * (1 - p)) / runs);

/** Ramps 10/20/40/60/80 % every 60 looks, like a rollout. */
const ramp = (i: number): number => [0.1, 0.2, 0.4, 0.6, 0.8][Math.min(4, Math.floor(i / 60))];
/** A baseline that swings tenfold over the run, peaking while the canary's share is highest. */
const swinging = (i: number): number => 0.002 * (1 + 9 * Math.max(0, Math.sin((Math.PI * i) / 300)) ** 4);

describe('counting test: false rollbacks stay below alpha however often it looks', () => {
  it.each([0.05, 0.01])('alpha %s: a healthy canary under a drifting baseline and a weight ramp, looked at 300 times', (alpha) => {
    const runs = 1000;
    const result = trial({ runs, looks: 300, ratio: 1, options: { alpha }, share: ramp, rate: swinging }, 11);
    expect(result.fail).toBeLessThanOrEqual(alpha + slack(alpha, runs));
  });

  it('holds when the baseline drift is confounded with the weight: pooled rates make the canary look worse, the split does not', () => {
    // The baseline rises in step with the canary's share, so over the whole run the canary's
    // pooled error rate is well above stable's although every request faces the same rate.
    const runs = 1000;
    const alpha = 0.05;
    const result = trial(
      { runs, looks: 300, ratio: 1, options: { alpha }, share: ramp, rate: (i) => 0.001 * (1 + 8 * ramp(i)) },
      12,
    );
    expect(result.pooledRatio).toBeGreaterThan(1.5);
    expect(result.fail).toBeLessThanOrEqual(alpha + slack(alpha, runs));
  });

  it('a canary better than stable is rolled back even more rarely (composite null θ ≤ 1)', () => {
    const runs = 600;
    const result = trial({ runs, looks: 300, ratio: 0.7, options: { alpha: 0.05 }, share: ramp, rate: swinging }, 13);
    expect(result.fail).toBeLessThan(0.01);
  });

  it('the same harness catches a test that is not anytime-valid (a fixed-sample z-test peeked at every look)', () => {
    // Guards the harness itself: if it could not see an inflated error rate, the checks above would prove nothing.
    let rejected = 0;
    const runs = 500;
    for (let r = 0; r < runs; r++) {
      const rng = createRng(seedOf(14, r));
      let c = 0;
      let n = 0;
      let expected = 0;
      for (let i = 0; i < 300; i++) {
        const b = draw(rng, 100, ramp(i), swinging(i), 1);
        c += b.canaryErrors;
        n += b.canaryErrors + b.stableErrors;
        expected += (b.canaryErrors + b.stableErrors) * (b.canaryRequests / (b.canaryRequests + b.stableRequests || 1));
        if (n > 0 && (c - expected) / Math.sqrt(Math.max(expected * (1 - expected / n), 1e-9)) > 1.645) {
          rejected++;
          break;
        }
      }
    }
    expect(rejected / runs).toBeGreaterThan(0.05 + slack(0.05, runs));
  });
});

describe('counting test: power and the pass side', () => {
  it('catches a tenfold error rate at a 10% share within a handful of canary errors', () => {
    const runs = 500;
    const caughtAfter: number[] = [];
    for (let r = 0; r < runs; r++) {
      const rng = createRng(seedOf(21, r));
      let state = initCountTest();
      for (let i = 0; i < 600 && state.decided === undefined; i++) state = updateCountTest(state, draw(rng, 200, 0.1, 0.005, 10));
      expect(state.decided?.verdict).toBe('fail');
      caughtAfter.push(state.counts.canaryErrors);
    }
    caughtAfter.sort((a, b) => a - b);
    expect(caughtAfter[Math.floor(runs / 2)]).toBeLessThanOrEqual(8);
  });

  it('passes a healthy canary, and promotes a canary at the minimum effect no more often than passAlpha', () => {
    const runs = 600;
    const options = { alpha: 0.01, passAlpha: 0.05 };
    const healthy = trial({ runs: 200, looks: 600, ratio: 1, options, share: ramp, rate: swinging, requests: 200 }, 22);
    expect(healthy.pass).toBeGreaterThan(0.95);
    const boundary = trial({ runs, looks: 600, ratio: 2, options, share: ramp, rate: swinging, requests: 200 }, 23);
    expect(boundary.pass).toBeLessThanOrEqual(0.05 + slack(0.05, runs));
    expect(boundary.fail).toBeGreaterThan(0.9);
  });

  it('never passes on silence: traffic without events is inconclusive, with a reason that says so', () => {
    let state = initCountTest();
    for (let i = 0; i < 1000; i++) {
      state = updateCountTest(state, { canaryRequests: 20, canaryErrors: 0, stableRequests: 180, stableErrors: 0 });
    }
    const d = decideCountTest(state);
    expect(d.verdict).toBe('inconclusive');
    expect(d.statistic).toBeCloseTo(0, 12);
    expect(d.reason).toMatch(/no error rate events on either side yet .*no evidence either way/);
  });
});

describe('counting test: decisions are data', () => {
  const gross: CountBatch = { canaryRequests: 100, canaryErrors: 10, stableRequests: 900, stableErrors: 4 };

  it('explains a rollback with the counts, the evidence and the threshold, and latches it', () => {
    let state = initCountTest({ alpha: 0.01 });
    state = updateCountTest(state, gross);
    const d = decideCountTest(state);
    expect(d).toMatchObject({ verdict: 'fail', threshold: Math.log(100), counts: gross });
    expect(d.statistic).toBeGreaterThanOrEqual(Math.log(100));
    expect(d.ratioEstimate).toBeCloseTo(10 / 100 / (4 / 900), 6);
    expect(d.reason).toMatch(/^canary error rate 10\.0% \(10\/100\) vs stable 0\.44% \(4\/900\), 22\.50×: evidence .* past the 100 : 1 that rolls back \(alpha 1\.00%\)$/);
    // Healthy batches afterwards do not undo the decision: the test stopped at its crossing.
    for (let i = 0; i < 50; i++) state = updateCountTest(state, { canaryRequests: 100, canaryErrors: 0, stableRequests: 900, stableErrors: 9 });
    expect(decideCountTest(state).verdict).toBe('fail');
    expect(decideCountTest(state).statistic).toBe(d.statistic);
  });

  it('fits the MetricVerdict shape threshold checks use', () => {
    const d = decideCountTest(updateCountTest(initCountTest(), gross));
    expect(toMetricVerdict('error-rate-sequential', d)).toEqual({
      name: 'error-rate-sequential',
      verdict: 'fail',
      value: d.ratioEstimate,
      samples: 100,
      reason: d.reason,
    });
  });

  it('reports both sides while undecided', () => {
    const state = updateCountTest(initCountTest(), { canaryRequests: 100, canaryErrors: 1, stableRequests: 900, stableErrors: 5 });
    const d = decideCountTest(state);
    expect(d.verdict).toBe('inconclusive');
    expect(d.statistic).toBe(d.fail.logBF);
    expect(d.pass.threshold).toBeCloseTo(Math.log(200), 12); // passAlpha defaults to alpha / 2
    expect(d.reason).toMatch(/not decided yet — .* that the canary's error rate is worse \(100 : 1 rolls back, alpha 1\.00%\); .* less than 2\.00× stable's \(200 : 1 passes\)/);
  });

  it('returns a new state and leaves the old one untouched', () => {
    const before = initCountTest();
    const after = updateCountTest(before, gross);
    expect(before.counts.canaryErrors).toBe(0);
    expect(before.failLogLR.every((v) => v === 0)).toBe(true);
    expect(after).not.toBe(before);
  });
});

describe('counting test: arithmetic and input checks', () => {
  it.each([
    { c: 3, k: 7, cn: 100, sn: 900, r1: 2, r0: 1 },
    { c: 0, k: 12, cn: 400, sn: 600, r1: 4, r0: 1 },
    { c: 9, k: 1, cn: 800, sn: 200, r1: 1, r0: 2 },
    { c: 5, k: 5, cn: 50, sn: 50, r1: 1.5, r0: 1.2 },
  ])('batch log LR equals the binomial likelihood ratio of the split %o', ({ c, k, cn, sn, r1, r0 }) => {
    const s = cn / (cn + sn);
    const p = (r: number): number => (s * r) / (s * r + 1 - s);
    const direct = c * Math.log(p(r1) / p(r0)) + k * Math.log((1 - p(r1)) / (1 - p(r0)));
    expect(batchLogLR({ canaryRequests: cn, canaryErrors: c, stableRequests: sn, stableErrors: k }, r1, r0)).toBeCloseTo(direct, 12);
  });

  it('a batch with no traffic on one side carries no evidence', () => {
    expect(batchLogLR({ canaryRequests: 0, canaryErrors: 0, stableRequests: 100, stableErrors: 3 }, 2, 1)).toBe(0);
  });

  it.each([
    [{ alpha: 0 }, /alpha must be a probability/],
    [{ passAlpha: 1 }, /passAlpha must be a probability/],
    [{ minEffect: 0 }, /minEffect must be a relative increase > 0/],
    [{ minEffect: 0.5, tolerance: 0.5 }, /tolerance must be ≥ 0 and below minEffect/],
    [{ failMixture: [{ ratio: 0.9, weight: 1 }] }, /failMixture\[0\]\.ratio is 0\.9; every ratio must exceed 1/],
    [{ passMixture: [{ ratio: 1, weight: -1 }] }, /passMixture\[0\]\.weight must be a positive number/],
  ] as const)('rejects options %o with a sentence', (options, message) => {
    const attempt = (): unknown => initCountTest(options as CountTestOptions);
    expect(attempt).toThrow(SequentialError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (e) {
      expect((e as SequentialError).code).toBe('SLUICE_SEQUENTIAL_OPTIONS');
    }
  });

  it.each([
    [{ canaryRequests: 10, canaryErrors: 11, stableRequests: 10, stableErrors: 0 }, /canaryErrors \(11\) exceeds canaryRequests \(10\)/],
    [{ canaryRequests: -1, canaryErrors: 0, stableRequests: 10, stableErrors: 0 }, /canaryRequests must be a whole number ≥ 0, got -1/],
    [{ canaryRequests: 1.5, canaryErrors: 0, stableRequests: 10, stableErrors: 0 }, /got 1\.5/],
  ])('rejects malformed batch %o', (batch, message) => {
    expect(() => updateCountTest(initCountTest(), batch)).toThrow(message);
  });
});
