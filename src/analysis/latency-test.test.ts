import { describe, expect, it } from 'vitest';
import { decideLatencyTest, initLatencyTest, updateLatencyTest, updateLatencyTestCounts } from './latency-test.js';
import type { LatencyTestOptions, LatencyTestState } from './latency-test.js';
import { SequentialError } from './sequential-types.js';
import { createRng, seedOf } from './simulate/prng.js';
import type { Rng } from './simulate/prng.js';
import { poisson } from './simulate/sampling.js';

/** Log-normal latencies around `medianMs`, as service latencies tend to be. */
function latencies(rng: Rng, n: number, medianMs: number): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return medianMs * Math.exp(0.5 * z);
  });
}

/** Runs a latency test over `looks` one-second batches of `rps` requests at a ramping share. */
function run(seed: number, looks: number, canarySlowdown: number, load: (i: number) => number, options: LatencyTestOptions = {}): LatencyTestState {
  const rng = createRng(seed);
  let state = initLatencyTest(options);
  for (let i = 0; i < looks && state.count.decided === undefined; i++) {
    const share = i < 60 ? 0.1 : i < 120 ? 0.2 : 0.5;
    // Both versions slow down together when load rises: the shared, drifting baseline.
    const median = 20 * load(i);
    state = updateLatencyTest(state, {
      canaryMs: latencies(rng, poisson(rng, 200 * share), median * canarySlowdown),
      stableMs: latencies(rng, poisson(rng, 200 * (1 - share)), median),
    });
  }
  return state;
}

describe('latency test', () => {
  it('learns the stable p99 from its warm-up requests, saying so meanwhile, then freezes it', () => {
    const rng = createRng(1);
    let state = initLatencyTest({ warmupSamples: 500 });
    state = updateLatencyTest(state, { canaryMs: latencies(rng, 30, 20), stableMs: latencies(rng, 300, 20) });
    expect(decideLatencyTest(state)).toMatchObject({
      verdict: 'inconclusive',
      reason: "learning stable's p99 latency: 300 of 500 stable requests so far, no evidence yet",
    });
    state = updateLatencyTest(state, { canaryMs: [], stableMs: latencies(rng, 300, 20) });
    // p99 of a log-normal with median 20 ms and σ 0.5 is 20·e^(0.5·2.326) ≈ 64 ms.
    expect(state.thresholdMs).toBeGreaterThan(52);
    expect(state.thresholdMs).toBeLessThan(78);
    const frozen = state.thresholdMs;
    state = updateLatencyTest(state, { canaryMs: [1000], stableMs: latencies(rng, 300, 200) });
    expect(state.thresholdMs).toBe(frozen);
    expect(state.count.counts).toMatchObject({ canaryRequests: 1, canaryErrors: 1, stableRequests: 300 });
  });

  it('keeps false rollbacks below alpha when load moves both versions’ latency, looked at every second', () => {
    const runs = 300;
    const alpha = 0.05;
    let failed = 0;
    const load = (i: number): number => 1 + 2 * Math.max(0, Math.sin(i / 40)); // up to 3× slower under load
    for (let r = 0; r < runs; r++) {
      if (run(seedOf(2, r), 240, 1, load, { alpha, warmupSamples: 400 }).count.decided?.verdict === 'fail') failed++;
    }
    expect(failed / runs).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
  });

  it('rolls back a canary 50% slower, with a reason naming the threshold', () => {
    let caught = 0;
    let reason = '';
    for (let r = 0; r < 50; r++) {
      const state = run(seedOf(3, r), 300, 1.5, () => 1, { warmupSamples: 400 });
      const d = decideLatencyTest(state);
      if (d.verdict === 'fail') {
        caught++;
        reason = d.reason;
      }
    }
    expect(caught).toBeGreaterThanOrEqual(49);
    expect(reason).toMatch(/^canary share of requests slower than [0-9.]+ ms \(stable's p99\) .* that rolls back/);
  });

  it('takes pre-counted exceedances against a given threshold, and refuses them before the threshold is known', () => {
    const fixed = updateLatencyTestCounts(initLatencyTest({ thresholdMs: 250 }), {
      canaryRequests: 100,
      canaryErrors: 12,
      stableRequests: 900,
      stableErrors: 9,
    });
    expect(decideLatencyTest(fixed)).toMatchObject({ verdict: 'fail', thresholdMs: 250 });
    const learning = initLatencyTest();
    expect(() => updateLatencyTestCounts(learning, { canaryRequests: 1, canaryErrors: 0, stableRequests: 1, stableErrors: 0 })).toThrow(
      /slow threshold is not known yet/,
    );
  });

  it.each([
    [{ quantile: 1 }, /quantile must be strictly between 0 and 1/],
    [{ thresholdMs: -5 }, /thresholdMs must be a positive number/],
    [{ warmupSamples: 0 }, /warmupSamples must be a whole number ≥ 1/],
    [{ alpha: 2 }, /alpha must be a probability/],
  ])('rejects options %o', (options, message) => {
    expect(() => initLatencyTest(options)).toThrow(SequentialError);
    expect(() => initLatencyTest(options)).toThrow(message);
  });

  it('rejects latencies that are not numbers ≥ 0', () => {
    expect(() => updateLatencyTest(initLatencyTest(), { canaryMs: [3, Number.NaN], stableMs: [] })).toThrow(
      'latency test batch: canaryMs[1] must be a latency ≥ 0 ms, got NaN',
    );
  });
});
