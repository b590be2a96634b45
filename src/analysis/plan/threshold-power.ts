import type { AnalysisSpec, MetricCheckSpec } from '../../spec/types.js';
import { binomialUpperTail, poissonBelow, poissonExpectation } from './distributions.js';
import { count } from './format.js';
import { isModelledMetric, metricBounds, planMetrics } from './metrics.js';
import type { ThresholdDetection } from './types.js';

/** Longest detection time the plan looks for: a day. */
export const MAX_DETECTION_SECONDS = 86_400;

export interface ThresholdPowerInput {
  analysis: Pick<AnalysisSpec, 'interval' | 'failureLimit' | 'minRequests' | 'metrics'>;
  /** Total requests per second. */
  rps: number;
  /** Canary weight, percent. */
  weight: number;
  /** Healthy and regressed canary error rates, 0–1. */
  healthyRate: number;
  regressedRate: number;
  power: number;
  /** How long the stage lasts (seconds), for the power within it; undefined for a gate. */
  stageSeconds?: number;
}

/**
 * How threshold checks (Flagger/Argo semantics, as analysis/threshold.ts judges them)
 * detect a regression at one weight, exactly: each check's window holds Poisson(rps·w·interval)
 * canary requests with binomial errors; a window with fewer than minRequests requests is
 * inconclusive; the success-rate and error-rate bounds decide the rest. Checks are
 * independent, and the rollout rolls back at failureLimit + 1 failed checks, so the chance
 * of a rollback within k checks is a binomial tail. Latency, mirror and provider metrics
 * are taken to pass (metrics.ts): the plan is about the errors of the canary's own traffic.
 */
export function thresholdDetection(input: ThresholdPowerInput): ThresholdDetection {
  const { analysis, rps, weight, power } = input;
  const interval = analysis.interval / 1000;
  const requestsPerCheck = rps * (weight / 100) * interval;
  const metrics = analysis.metrics.filter(isModelledMetric);
  const failChance = (rate: number): number =>
    metrics.length === 0 ? 0 : poissonExpectation(requestsPerCheck, (n) => windowFails(n, rate, metrics), analysis.minRequests);
  const healthyFail = failChance(input.healthyRate);
  const regressedFail = failChance(input.regressedRate);
  const conclusive = 1 - poissonBelow(analysis.minRequests, requestsPerCheck);
  const needed = analysis.failureLimit + 1;
  const rollbackWithin = (checks: number): number => binomialUpperTail(needed, checks, regressedFail);
  const base: ThresholdDetection = { requestsPerCheck, conclusive, healthyFail, regressedFail };
  if (input.stageSeconds !== undefined) base.powerInStep = rollbackWithin(Math.floor(input.stageSeconds / interval + 1e-9));
  const maxChecks = Math.max(needed, Math.floor(MAX_DETECTION_SECONDS / interval));
  if (rollbackWithin(maxChecks) < power) return { ...base, why: unreachable(input, metrics.length > 0, regressedFail, conclusive) };
  let lo = needed;
  let hi = maxChecks;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (rollbackWithin(mid) >= power) hi = mid;
    else lo = mid + 1;
  }
  return { ...base, seconds: lo * interval };
}

/** Bounds of a rate metric on a window's success or error rate, in percent. */
export type RateBounds = Pick<MetricCheckSpec, 'min' | 'max'> & { name?: string };

/**
 * Chance that a window of n canary requests at error rate `rate` fails any of the bounds
 * (success-rate when a metric has no name). Every bound fails the window above some number
 * of errors or below some other, so the window passes only strictly between the fewest
 * errors that fail high and the most that fail low.
 */
export function windowFails(n: number, rate: number, metrics: RateBounds | readonly RateBounds[]): number {
  if (n === 0) return 0;
  let high = n + 1;
  let low = -1;
  for (const m of Array.isArray(metrics) ? metrics : [metrics as RateBounds]) {
    const errorRate = m.name === 'error-rate';
    // An error-rate of x% is a success rate of 100 − x%, judged on its own figure so rounding matches the check.
    if (m.min !== undefined) {
      if (errorRate) low = Math.max(low, mostErrors(n, (e) => (100 * e) / n < m.min!));
      else high = Math.min(high, fewestErrors(n, (e) => (100 * (n - e)) / n < m.min!));
    }
    if (m.max !== undefined) {
      if (errorRate) high = Math.min(high, fewestErrors(n, (e) => (100 * e) / n > m.max!));
      else low = Math.max(low, mostErrors(n, (e) => (100 * (n - e)) / n > m.max!));
    }
  }
  if (low + 1 >= high) return 1;
  return Math.min(1, Math.max(0, 1 - binomialUpperTail(low + 1, n, rate) + binomialUpperTail(high, n, rate)));
}

/** Fewest errors among n requests for which `fails` holds, `fails` growing with the errors; n + 1 when none. */
function fewestErrors(n: number, fails: (e: number) => boolean): number {
  let lo = 0;
  let hi = n + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fails(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Most errors among n requests for which `fails` holds, `fails` shrinking with the errors; -1 when none. */
function mostErrors(n: number, fails: (e: number) => boolean): number {
  return fewestErrors(n, (e) => !fails(e)) - 1;
}

function unreachable(
  input: ThresholdPowerInput,
  judgesErrors: boolean,
  regressedFail: number,
  conclusive: number,
): string {
  const { analysis } = input;
  if (!judgesErrors) {
    const { mirrorRates } = planMetrics(analysis.metrics);
    if (mirrorRates.length > 0) {
      return `the plan cannot tell: errors are judged only on mirrored copies of stable's requests (${mirrorRates.map(metricBounds).join(', ')}), which it does not model`;
    }
    return 'no success-rate or error-rate check: threshold checks do not look at errors';
  }
  if (conclusive < 0.01) {
    return `checks almost never see minRequests ${analysis.minRequests} canary requests (~${count(input.rps * (input.weight / 100) * (analysis.interval / 1000))} per check)`;
  }
  const pct = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;
  return `a check of the regressed canary (${pct(input.regressedRate)} errors) fails with probability ${pct(regressedFail)}: ` +
    `too rarely to reach ${analysis.failureLimit + 1} failed checks within a day`;
}
