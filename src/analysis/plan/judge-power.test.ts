import { describe, expect, it } from 'vitest';
import { updateCountTest, initCountTest } from '../sequential.js';
import type { CountTestState } from '../sequential-types.js';
import { createRng, seedOf } from '../simulate/prng.js';
import { binomial, poisson } from '../simulate/sampling.js';
import { absorption, judgeDetection } from './judge-power.js';

const JUDGE = { alpha: 0.01, minEffect: 1, tolerance: 0 };

describe('absorption', () => {
  it.each([
    [10, 2],
    [40, 2],
    [20, 5],
  ])('at weight %i and a %i× regression, matches the real test fed one error at a time', (weight, ratio) => {
    const s = weight / 100;
    const pi = (s * ratio) / (s * ratio + 1 - s);
    const { failBy, passed } = absorption(JUDGE, s, pi);
    const runs = 1200;
    const checkpoints = [10, 40, 150];
    const failedBy = checkpoints.map(() => 0);
    for (let r = 0; r < runs; r++) {
      const rng = createRng(seedOf(21, weight, ratio, r));
      let state: CountTestState = initCountTest(JUDGE);
      for (let m = 1; m <= 150 && state.decided === undefined; m++) {
        const canary = rng.next() < pi ? 1 : 0;
        state = updateCountTest(state, { canaryRequests: weight, canaryErrors: canary, stableRequests: 100 - weight, stableErrors: 1 - canary });
        if (state.decided?.verdict === 'fail') checkpoints.forEach((c, i) => (failedBy[i] += m <= c ? 1 : 0));
      }
    }
    checkpoints.forEach((c, i) => {
      const exact = failBy[Math.min(c, failBy.length - 1)];
      const sd = Math.sqrt(Math.max(exact * (1 - exact), 1e-4) / runs);
      expect(Math.abs(failedBy[i] / runs - exact), `by event ${c}`).toBeLessThan(4 * sd + 1e-9);
    });
    // A regression of at least 1 + minEffect passes with probability at most passAlpha = alpha / 2.
    expect(passed).toBeLessThanOrEqual(0.005);
  });
});

describe('judgeDetection', () => {
  const input = { judge: JUDGE, minStepEvents: 10, rps: 200, weight: 20, healthyRate: 0.005, regressedRate: 0.01, power: 0.95, stageSeconds: 120 };

  it('predicts the chance of a rollback within the step that per-second batches of Poisson traffic reach', () => {
    const d = judgeDetection(input);
    const runs = 600;
    let caught = 0;
    for (let r = 0; r < runs; r++) {
      const rng = createRng(seedOf(31, r));
      let state = initCountTest(JUDGE);
      for (let t = 0; t < 120 && state.decided === undefined; t++) {
        const canaryRequests = poisson(rng, 40);
        const stableRequests = poisson(rng, 160);
        state = updateCountTest(state, {
          canaryRequests,
          canaryErrors: binomial(rng, canaryRequests, 0.01),
          stableRequests,
          stableErrors: binomial(rng, stableRequests, 0.005),
        });
      }
      if (state.decided?.verdict === 'fail') caught++;
    }
    // Looking once a second instead of after every error costs a little power: the estimate may be a bit high, never low.
    const simulated = caught / runs;
    expect(d.powerInStep!).toBeGreaterThan(simulated - 0.04);
    expect(d.powerInStep!).toBeLessThan(simulated + 0.08);
  });

  it('needs the shortest time that reaches the power, longer at lower weights, and says what the weight costs', () => {
    const at20 = judgeDetection(input);
    const at5 = judgeDetection({ ...input, weight: 5 });
    expect(at20.seconds).toBeGreaterThan(60);
    expect(at5.seconds!).toBeGreaterThan(at20.seconds!);
    expect(judgeDetection({ ...input, stageSeconds: at20.seconds! }).powerInStep).toBeGreaterThanOrEqual(0.95);
    expect(judgeDetection({ ...input, stageSeconds: at20.seconds! - 1 }).powerInStep).toBeLessThan(0.95);
    expect(at20.eventsPerSecond).toBeCloseTo(200 * (0.2 * 0.01 + 0.8 * 0.005), 12);
    expect(at20.minEventsSeconds).toBeCloseTo(10, 12); // 10 events at 1 error a second
    expect(at20.wronglyPassed).toBeLessThan(0.01);
  });

  it.each([
    ['all traffic on the canary', { weight: 100 }, /at 100% stable has no traffic/],
    ['a regression below minEffect', { regressedRate: 0.006 }, /rolls this regression back in only/],
  ])('says why it never detects with %s', (_name, change, why) => {
    const d = judgeDetection({ ...input, ...change });
    expect(d.seconds).toBeUndefined();
    expect(d.why).toMatch(why);
  });
});
