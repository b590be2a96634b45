import { resolveCountOptions } from '../sequential.js';
import type { CountTestOptions, RatioWeight } from '../sequential-types.js';
import { poissonExpectation } from './distributions.js';
import { MAX_DETECTION_SECONDS } from './threshold-power.js';
import type { JudgeDetection } from './types.js';

export interface JudgePowerInput {
  judge: CountTestOptions;
  /** Errors a step must see before the weight may grow. */
  minStepEvents: number;
  rps: number;
  /** Canary weight, percent. */
  weight: number;
  healthyRate: number;
  regressedRate: number;
  power: number;
  stageSeconds?: number;
}

/** Events the exact computation follows at most; beyond, whatever is undecided stays undecided. */
const MAX_EVENTS = 2_000_000;

/**
 * How the sequential judge (analysis/sequential.ts) detects a regression at one weight,
 * computed from the test's own evidence, not simulated: at a fixed canary share s every
 * error is the canary's with probability π = s·p₁ / (s·p₁ + (1−s)·p₀), and after m errors
 * of which c are the canary's both Bayes factors are functions of (c, m) alone. A dynamic
 * programme over c, absorbing at the fail and pass boundaries, gives the exact chance that
 * the test has rolled back (or wrongly passed) by the m-th error; errors arrive as a Poisson
 * process, so the chance by time T is a Poisson mixture of those. The real test looks once
 * per batch rather than after every error, so this is slightly optimistic for batches with
 * several errors. The evidence starts from zero at the step, as if the stage were the first.
 */
export function judgeDetection(input: JudgePowerInput): JudgeDetection {
  const s = input.weight / 100;
  const { rps, healthyRate, regressedRate } = input;
  const eventsPerSecond = rps * (s * regressedRate + (1 - s) * healthyRate);
  const healthyEvents = rps * healthyRate;
  const minEventsSeconds = input.minStepEvents === 0 ? 0 : healthyEvents > 0 ? input.minStepEvents / healthyEvents : Infinity;
  const base = { eventsPerSecond, minEventsSeconds, wronglyPassed: 0 };
  if (!(s > 0 && s < 1)) {
    return { ...base, why: `the judge compares canary with stable errors; at ${input.weight}% ${s >= 1 ? 'stable' : 'the canary'} has no traffic` };
  }
  if (eventsPerSecond === 0) return { ...base, why: 'no errors are expected on either version, so there is no evidence either way' };
  const pi = (s * regressedRate) / (s * regressedRate + (1 - s) * healthyRate);
  const { failBy, passed } = absorption(input.judge, s, pi);
  const last = failBy.length - 1;
  const within = (seconds: number): number =>
    poissonExpectation(eventsPerSecond * seconds, (m) => failBy[Math.min(m, last)]);
  const result: JudgeDetection = { ...base, wronglyPassed: passed };
  if (input.stageSeconds !== undefined) result.powerInStep = within(input.stageSeconds);
  if (within(MAX_DETECTION_SECONDS) < input.power) {
    const reach = failBy[last];
    result.why = reach < input.power
      ? `the judge rolls this regression back in only ${pct(reach)} of rollouts however long it runs (it passes ${pct(passed)}); ` +
        'raise the regression it is planned for, or lower minEffect'
      : `~${Math.round(eventsPerSecond * 3600)} errors an hour are too few to decide within a day`;
    return result;
  }
  let lo = 1;
  let hi = MAX_DETECTION_SECONDS;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (within(mid) >= input.power) hi = mid;
    else lo = mid + 1;
  }
  result.seconds = lo;
  return result;
}

/**
 * failBy[m]: chance that the fail boundary has been reached by the m-th event (before the pass
 * boundary); `passed`: chance that the pass boundary is reached first, over all events.
 */
export function absorption(options: CountTestOptions, share: number, pi: number): { failBy: Float64Array; passed: number } {
  const o = resolveCountOptions(options);
  const failSide = side(o.failMixture, 1 + o.tolerance, share, Math.log(1 / o.alpha));
  const passSide = side(o.passMixture, 1 + o.minEffect, share, Math.log(1 / o.passAlpha));
  const failBy: number[] = [0];
  // live[i] is the chance of c = base + i canary events with neither boundary reached yet;
  // the live range lies between the boundaries, so it stays narrow.
  let live = new Float64Array([1]);
  let base = 0;
  let failed = 0;
  let passed = 0;
  let cf = 0; // fewest canary events that roll back, at the current m
  let cp = -1; // most canary events that pass, at the current m
  for (let m = 1; m <= MAX_EVENTS; m++) {
    const next = new Float64Array(live.length + 1);
    for (let i = 0; i < live.length; i++) {
      next[i] += live[i] * (1 - pi);
      next[i + 1] = live[i] * pi;
    }
    while (cf <= m && !failSide.reached(cf, m)) cf++;
    while (cf > 0 && failSide.reached(cf - 1, m)) cf--;
    while (cp + 1 < cf && passSide.reachedBelow(cp + 1, m)) cp++;
    while (cp >= 0 && !passSide.reachedBelow(cp, m)) cp--;
    // Fail is checked first, as in updateCountTest: at c ≥ cf the test rolls back.
    const keepFrom = Math.min(next.length, Math.max(0, cp + 1 - base));
    const keepTo = Math.min(next.length, Math.max(keepFrom, cf - base)); // exclusive
    for (let i = 0; i < keepFrom; i++) passed += next[i];
    for (let i = keepTo; i < next.length; i++) failed += next[i];
    failBy.push(failed);
    live = next.subarray(keepFrom, keepTo);
    base += keepFrom;
    if (live.length === 0 || 1 - failed - passed < 1e-12) break;
  }
  return { failBy: Float64Array.from(failBy), passed };
}

/** One side of the test: does its mixture Bayes factor reach the boundary at (c, m)? */
function side(mixture: readonly RatioWeight[], nullRatio: number, share: number, boundary: number) {
  const terms = mixture.map((w) => ({
    logW: Math.log(w.weight),
    perCanary: Math.log(w.ratio / nullRatio),
    perEvent: Math.log1p(share * (nullRatio - 1)) - Math.log1p(share * (w.ratio - 1)),
  }));
  const xs = new Float64Array(terms.length);
  const logBF = (c: number, m: number): number => {
    let max = -Infinity;
    for (let k = 0; k < terms.length; k++) {
      const t = terms[k];
      xs[k] = t.logW + c * t.perCanary + m * t.perEvent;
      if (xs[k] > max) max = xs[k];
    }
    let sum = 0;
    for (let k = 0; k < terms.length; k++) sum += Math.exp(xs[k] - max);
    return max + Math.log(sum);
  };
  return {
    /** The fail side rises with c: reached at c and above. */
    reached: (c: number, m: number): boolean => logBF(c, m) >= boundary,
    /** The pass side falls with c: reached at c and below. */
    reachedBelow: (c: number, m: number): boolean => c >= 0 && logBF(c, m) >= boundary,
  };
}

function pct(x: number): string {
  return `${Number((x * 100).toPrecision(3))}%`;
}
