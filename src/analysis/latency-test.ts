import { countOf, TRAFFIC_WORDING, type Wording } from './wording.js';
import { decideCountTest, initCountTest, updateCountTest } from './sequential.js';
import { SequentialError } from './sequential-types.js';
import type { CountBatch, CountTestOptions, CountTestState, SequentialDecision } from './sequential-types.js';

/**
 * The anytime-valid latency test: does the canary send more requests past a "slow"
 * threshold than stable does?
 *
 * "Slow" is a fixed latency — given, or learned once from the stable's first
 * `warmupSamples` requests as its `quantile` (p99 by default) and then frozen, so
 * it never depends on the data it judges. Slow requests of each version are then
 * events of two Poisson processes sharing one unknown, time-varying baseline (load
 * changes move both), and the counting test's mixture SPRT compares their split:
 * the same guarantee (false rollbacks ≤ alpha at any number of looks), the same
 * pass side and the same result shape. Running it beside the error test doubles
 * the chances of a false rollback: give each alpha/2 to keep the rollout's at alpha.
 */

export interface LatencyTestOptions extends CountTestOptions {
  /** Quantile of the stable's latency that makes a request "slow", in (0, 1). Default 0.99. */
  quantile?: number;
  /** A fixed slow threshold in milliseconds; skips learning it. */
  thresholdMs?: number;
  /** Stable requests used to learn the threshold; their batches carry no evidence. Default 1000. */
  warmupSamples?: number;
}

export interface LatencyTestState {
  readonly quantile: number;
  readonly warmupSamples: number;
  /** Set once known; until then batches only teach the threshold. */
  readonly thresholdMs?: number;
  /** Stable latencies gathered while learning the threshold (empty afterwards). */
  readonly warmup: readonly number[];
  readonly count: CountTestState;
}

/** Latency batch: the latencies (ms) each version served since the previous batch, at one traffic split. */
export interface LatencySamples {
  canaryMs: readonly number[];
  stableMs: readonly number[];
}

export type LatencyDecision = SequentialDecision & { thresholdMs?: number };

/** Starts a latency test. Throws SequentialError SLUICE_SEQUENTIAL_OPTIONS on bad options. */
export function initLatencyTest(options: LatencyTestOptions = {}): LatencyTestState {
  const { quantile = 0.99, thresholdMs, warmupSamples = 1000, ...countOptions } = options;
  if (!(quantile > 0 && quantile < 1)) bad(`quantile must be strictly between 0 and 1 (0.99 = p99), got ${quantile}`);
  if (thresholdMs !== undefined && !(Number.isFinite(thresholdMs) && thresholdMs > 0)) {
    bad(`thresholdMs must be a positive number of milliseconds, got ${thresholdMs}`);
  }
  if (!(Number.isInteger(warmupSamples) && warmupSamples >= 1)) bad(`warmupSamples must be a whole number ≥ 1, got ${warmupSamples}`);
  return {
    quantile,
    warmupSamples,
    ...(thresholdMs === undefined ? {} : { thresholdMs }),
    warmup: [],
    count: initCountTest(countOptions),
  };
}

/** Adds one batch of latencies: counted against the threshold once known, used to learn it before. */
export function updateLatencyTest(state: LatencyTestState, batch: LatencySamples): LatencyTestState {
  checkSamples(batch.canaryMs, 'canaryMs');
  checkSamples(batch.stableMs, 'stableMs');
  const threshold = state.thresholdMs;
  if (threshold === undefined) {
    const warmup = [...state.warmup, ...batch.stableMs];
    if (warmup.length < state.warmupSamples) return { ...state, warmup };
    return { ...state, warmup: [], thresholdMs: quantileOf(warmup, state.quantile) };
  }
  const slow = (values: readonly number[]): number => values.reduce((n, v) => n + (v > threshold ? 1 : 0), 0);
  return updateLatencyTestCounts(state, {
    canaryRequests: batch.canaryMs.length,
    canaryErrors: slow(batch.canaryMs),
    stableRequests: batch.stableMs.length,
    stableErrors: slow(batch.stableMs),
  });
}

/**
 * Adds one batch already counted against `state.thresholdMs` (e.g. from histograms):
 * `*Errors` are the requests slower than the threshold. Throws SLUICE_SEQUENTIAL_BATCH
 * while the threshold is still being learned.
 */
export function updateLatencyTestCounts(state: LatencyTestState, batch: CountBatch): LatencyTestState {
  if (state.thresholdMs === undefined) {
    throw new SequentialError(
      'SLUICE_SEQUENTIAL_BATCH',
      'latency test: the slow threshold is not known yet; pass latencies to updateLatencyTest until it is, or set thresholdMs',
    );
  }
  return { ...state, count: updateCountTest(state.count, batch) };
}

/** What the latency test concludes now; inconclusive while the threshold is being learned. */
export function decideLatencyTest(state: LatencyTestState, words: Wording = TRAFFIC_WORDING): LatencyDecision {
  const q = `p${+(state.quantile * 100).toFixed(3)}`;
  if (state.thresholdMs === undefined) {
    const decision = decideCountTest(state.count, 'error rate', words);
    return {
      ...decision,
      reason: `learning ${words.stableOf} ${q} latency: ${state.warmup.length} of ${countOf(state.warmupSamples, words.stableRequest)} so far, no evidence yet`,
    };
  }
  const subject = `share of requests slower than ${state.thresholdMs.toPrecision(4)} ms (${words.stableOf} ${q})`;
  return { ...decideCountTest(state.count, subject, words), thresholdMs: state.thresholdMs };
}

/** Nearest-rank quantile: the ⌈q·n⌉-th smallest value. */
function quantileOf(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function checkSamples(values: readonly number[], name: string): void {
  if (!Array.isArray(values)) throw new SequentialError('SLUICE_SEQUENTIAL_BATCH', `latency test batch: ${name} must be an array of milliseconds`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new SequentialError('SLUICE_SEQUENTIAL_BATCH', `latency test batch: ${name}[${i}] must be a latency ≥ 0 ms, got ${v}`);
    }
  }
}

function bad(message: string): never {
  throw new SequentialError('SLUICE_SEQUENTIAL_OPTIONS', `latency test options: ${message}`);
}
