import { TRAFFIC_WORDING, type Wording } from './wording.js';
import { accumulate, defaultFailMixture, mixtureLogBF, normalise } from './sequential-mixture.js';
import { SequentialError } from './sequential-types.js';
import type {
  CountBatch,
  CountTestOptions,
  CountTestState,
  RatioWeight,
  ResolvedCountOptions,
  SequentialDecision,
} from './sequential-types.js';
import { describeDecision } from './sequential-reason.js';
import type { MetricVerdict, Verdict } from './types.js';

/**
 * The anytime-valid counting test: is the canary's error rate worse than stable's?
 *
 * Two one-sided mixture SPRTs run on the split of errors between the versions
 * (see sequential-mixture.ts for the model). The fail side tests
 * H₀: θ ≤ 1 + tolerance and rolls back when its Bayes factor reaches 1/alpha;
 * the pass side tests H₀: θ ≥ 1 + minEffect and passes when its Bayes factor
 * reaches 1/passAlpha. Each may be evaluated after every request or batch
 * without inflating its error rate (Ville's inequality). With no events there is
 * no evidence either way: low traffic is inconclusive, never a pass.
 */

const ZERO: CountBatch = { canaryRequests: 0, canaryErrors: 0, stableRequests: 0, stableErrors: 0 };

/** Starts a counting test. Throws SequentialError SLUICE_SEQUENTIAL_OPTIONS on out-of-range options. */
export function initCountTest(options: CountTestOptions = {}): CountTestState {
  const resolved = resolveCountOptions(options);
  return {
    options: resolved,
    failLogLR: resolved.failMixture.map(() => 0),
    passLogLR: resolved.passMixture.map(() => 0),
    counts: ZERO,
    batches: 0,
  };
}

/**
 * Adds one batch of counts (increments since the previous batch, all at one traffic split)
 * and returns the new state. Throws SequentialError SLUICE_SEQUENTIAL_BATCH on malformed counts.
 */
export function updateCountTest(state: CountTestState, batch: CountBatch): CountTestState {
  checkBatch(batch);
  const { options } = state;
  const informative = batch.canaryErrors + batch.stableErrors > 0 && batch.canaryRequests > 0 && batch.stableRequests > 0;
  // A batch without events (or without one version's traffic) leaves every likelihood ratio as it was.
  const failLogLR = !informative ? state.failLogLR : accumulate(state.failLogLR, options.failMixture, batch, 1 + options.tolerance);
  const passLogLR = !informative ? state.passLogLR : accumulate(state.passLogLR, options.passMixture, batch, 1 + options.minEffect);
  const counts: CountBatch = {
    canaryRequests: state.counts.canaryRequests + batch.canaryRequests,
    canaryErrors: state.counts.canaryErrors + batch.canaryErrors,
    stableRequests: state.counts.stableRequests + batch.stableRequests,
    stableErrors: state.counts.stableErrors + batch.stableErrors,
  };
  const batches = state.batches + 1;
  let decided = state.decided;
  if (decided === undefined && informative) {
    const failBF = mixtureLogBF(failLogLR, options.failMixture);
    const passBF = mixtureLogBF(passLogLR, options.passMixture);
    // Fail is checked first: if both boundaries are crossed by one batch, safety wins.
    if (failBF >= Math.log(1 / options.alpha)) decided = { verdict: 'fail', batch: batches, logBF: failBF };
    else if (passBF >= Math.log(1 / options.passAlpha)) decided = { verdict: 'pass', batch: batches, logBF: passBF };
  }
  const next: { -readonly [K in keyof CountTestState]: CountTestState[K] } = { options, failLogLR, passLogLR, counts, batches };
  if (decided !== undefined) next.decided = decided;
  return next;
}

/** What the test concludes now: pass, fail (latched at the first crossing) or inconclusive. */
export function decideCountTest(state: CountTestState, subject = 'error rate', words: Wording = TRAFFIC_WORDING): SequentialDecision {
  const { options, counts } = state;
  const fail = { logBF: mixtureLogBF(state.failLogLR, options.failMixture), threshold: Math.log(1 / options.alpha) };
  const pass = { logBF: mixtureLogBF(state.passLogLR, options.passMixture), threshold: Math.log(1 / options.passAlpha) };
  const verdict: Verdict = state.decided?.verdict ?? 'inconclusive';
  const side = verdict === 'pass' ? pass : fail;
  const statistic = state.decided?.logBF ?? side.logBF;
  const ratioEstimate = estimateRatio(counts);
  const decision: Omit<SequentialDecision, 'reason'> = {
    verdict,
    statistic,
    threshold: side.threshold,
    fail,
    pass,
    counts: { ...counts },
    ...(ratioEstimate === undefined ? {} : { ratioEstimate }),
  };
  return { ...decision, reason: describeDecision(decision, options, subject, words) };
}

/**
 * A sequential decision in the shape threshold checks report (analysis/types.ts), so both
 * kinds of check sit side by side in one CheckResult: `value` is the canary/stable rate ratio.
 */
export function toMetricVerdict(name: string, decision: SequentialDecision): MetricVerdict {
  return {
    name,
    verdict: decision.verdict,
    ...(decision.ratioEstimate === undefined ? {} : { value: decision.ratioEstimate }),
    samples: decision.counts.canaryRequests,
    reason: decision.reason,
  };
}

/** Canary event rate over stable's on the totals; undefined when it cannot be formed. */
export function estimateRatio(counts: CountBatch): number | undefined {
  if (counts.canaryRequests === 0 || counts.stableRequests === 0 || counts.stableErrors === 0) return undefined;
  return counts.canaryErrors / counts.canaryRequests / (counts.stableErrors / counts.stableRequests);
}

/** Fills defaults and checks ranges; exported so other tests built on this one share the rules. */
export function resolveCountOptions(options: CountTestOptions): ResolvedCountOptions {
  const alpha = options.alpha ?? 0.01;
  const passAlpha = options.passAlpha ?? alpha / 2;
  const minEffect = options.minEffect ?? 1;
  const tolerance = options.tolerance ?? 0;
  probability('alpha', alpha);
  probability('passAlpha', passAlpha);
  if (!(Number.isFinite(minEffect) && minEffect > 0)) {
    bad(`minEffect must be a relative increase > 0 (1 = twice stable's rate), got ${minEffect}`);
  }
  if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance < minEffect)) {
    bad(`tolerance must be ≥ 0 and below minEffect (${minEffect}), got ${tolerance}`);
  }
  const failMixture = mixture('failMixture', options.failMixture ?? defaultFailMixture(minEffect), (r) => r > 1 + tolerance,
    `every ratio must exceed 1 + tolerance = ${1 + tolerance}`);
  const passMixture = mixture('passMixture', options.passMixture ?? [{ ratio: 1 + tolerance, weight: 1 }],
    (r) => r < 1 + minEffect, `every ratio must be below 1 + minEffect = ${1 + minEffect}`);
  return { alpha, passAlpha, minEffect, tolerance, failMixture, passMixture };
}

function mixture(name: string, m: readonly RatioWeight[], ok: (ratio: number) => boolean, rule: string): RatioWeight[] {
  if (!Array.isArray(m) || m.length === 0) bad(`${name} must list at least one { ratio, weight }`);
  m.forEach((c, i) => {
    if (!(Number.isFinite(c?.ratio) && c.ratio > 0 && ok(c.ratio))) bad(`${name}[${i}].ratio is ${c?.ratio}; ${rule}`);
    if (!(Number.isFinite(c.weight) && c.weight > 0)) bad(`${name}[${i}].weight must be a positive number, got ${c.weight}`);
  });
  return normalise(m);
}

function probability(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0 && value < 1)) bad(`${name} must be a probability strictly between 0 and 1, got ${value}`);
}

function bad(message: string): never {
  throw new SequentialError('SLUICE_SEQUENTIAL_OPTIONS', `sequential test options: ${message}`);
}

function checkBatch(batch: CountBatch): void {
  const { canaryRequests, canaryErrors, stableRequests, stableErrors } = batch ?? {};
  wholeCount('canaryRequests', canaryRequests);
  wholeCount('canaryErrors', canaryErrors);
  wholeCount('stableRequests', stableRequests);
  wholeCount('stableErrors', stableErrors);
  if (canaryErrors > canaryRequests) tooMany('canary', canaryErrors, canaryRequests);
  if (stableErrors > stableRequests) tooMany('stable', stableErrors, stableRequests);
}

function wholeCount(field: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) {
    throw new SequentialError('SLUICE_SEQUENTIAL_BATCH', `sequential test batch: ${field} must be a whole number ≥ 0, got ${v}`);
  }
}

function tooMany(version: string, errors: number, requests: number): never {
  throw new SequentialError(
    'SLUICE_SEQUENTIAL_BATCH',
    `sequential test batch: ${version}Errors (${errors}) exceeds ${version}Requests (${requests}); ` +
      'pass the increments of both counters over the same interval',
  );
}
