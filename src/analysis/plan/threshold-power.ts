import type { AnalysisSpec, MetricCheckSpec } from '../../spec/types.js';
import { binomialUpperTail, poissonBelow, poissonExpectation } from './distributions.js';
import { count } from './format.js';
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
 * inconclusive; the success-rate bounds decide the rest. Checks are independent, and the
 * rollout rolls back at failureLimit + 1 failed checks, so the chance of a rollback within
 * k checks is a binomial tail. Latency metrics are taken to pass: the plan is about errors.
 */
export function thresholdDetection(input: ThresholdPowerInput): ThresholdDetection {
  const { analysis, rps, weight, power } = input;
  const interval = analysis.interval / 1000;
  const requestsPerCheck = rps * (weight / 100) * interval;
  const metric = analysis.metrics.find((m) => m.name === 'success-rate');
  const failChance = (rate: number): number =>
    metric === undefined ? 0 : poissonExpectation(requestsPerCheck, (n) => windowFails(n, rate, metric), analysis.minRequests);
  const healthyFail = failChance(input.healthyRate);
  const regressedFail = failChance(input.regressedRate);
  const conclusive = 1 - poissonBelow(analysis.minRequests, requestsPerCheck);
  const needed = analysis.failureLimit + 1;
  const rollbackWithin = (checks: number): number => binomialUpperTail(needed, checks, regressedFail);
  const base: ThresholdDetection = { requestsPerCheck, conclusive, healthyFail, regressedFail };
  if (input.stageSeconds !== undefined) base.powerInStep = rollbackWithin(Math.floor(input.stageSeconds / interval + 1e-9));
  const maxChecks = Math.max(needed, Math.floor(MAX_DETECTION_SECONDS / interval));
  if (rollbackWithin(maxChecks) < power) return { ...base, why: unreachable(input, metric, regressedFail, conclusive) };
  let lo = needed;
  let hi = maxChecks;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (rollbackWithin(mid) >= power) hi = mid;
    else lo = mid + 1;
  }
  return { ...base, seconds: lo * interval };
}

/** Chance that a window of n canary requests at error rate `rate` fails the success-rate bounds. */
export function windowFails(n: number, rate: number, metric: Pick<MetricCheckSpec, 'min' | 'max'>): number {
  if (n === 0) return 0;
  let chance = 0;
  if (metric.min !== undefined) chance += binomialUpperTail(fewestErrorsBelow(n, metric.min), n, rate);
  if (metric.max !== undefined) chance += 1 - binomialUpperTail(mostErrorsAbove(n, metric.max) + 1, n, rate);
  return Math.min(1, chance);
}

/** Fewest errors among n requests that put the success rate (percent) below `min`. */
function fewestErrorsBelow(n: number, min: number): number {
  const below = (e: number): boolean => (100 * (n - e)) / n < min;
  let e = Math.max(0, Math.floor(n * (1 - min / 100)));
  while (e > 0 && below(e - 1)) e--;
  while (e <= n && !below(e)) e++;
  return e;
}

/** Most errors among n requests that keep the success rate (percent) above `max`; -1 when none do. */
function mostErrorsAbove(n: number, max: number): number {
  const above = (e: number): boolean => (100 * (n - e)) / n > max;
  let e = Math.min(n, Math.ceil(n * (1 - max / 100)));
  while (e >= 0 && !above(e)) e--;
  while (e < n && above(e + 1)) e++;
  return e;
}

function unreachable(
  input: ThresholdPowerInput,
  metric: MetricCheckSpec | undefined,
  regressedFail: number,
  conclusive: number,
): string {
  const { analysis } = input;
  if (metric === undefined) return 'no success-rate check: threshold checks do not look at errors';
  if (conclusive < 0.01) {
    return `checks almost never see minRequests ${analysis.minRequests} canary requests (~${count(input.rps * (input.weight / 100) * (analysis.interval / 1000))} per check)`;
  }
  const pct = (x: number): string => `${Number((x * 100).toPrecision(3))}%`;
  return `a check of the regressed canary (${pct(input.regressedRate)} errors) fails with probability ${pct(regressedFail)}: ` +
    `too rarely to reach ${analysis.failureLimit + 1} failed checks within a day`;
}
