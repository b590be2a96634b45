import type { Verdict } from './types.js';

/**
 * Types of the sequential (anytime-valid) judge: the counting test on errors
 * and the latency test on exceedances share them.
 */

/** One point of the mixing distribution over the canary/stable rate ratio θ. */
export interface RatioWeight {
  /** Rate ratio θ = canary rate / stable rate, > 0. */
  ratio: number;
  /** Prior weight, > 0; weights are normalised to sum to 1. */
  weight: number;
}

export interface CountTestOptions {
  /**
   * Chance of rolling back a canary that is no worse than stable (θ ≤ 1 + tolerance),
   * however often the test is looked at. Default 0.01.
   */
  alpha?: number;
  /**
   * Chance of promoting a canary that is at least `minEffect` worse (θ ≥ 1 + minEffect).
   * Default: alpha / 2 — promoting a bad release costs more than rolling back a good one.
   */
  passAlpha?: number;
  /**
   * Smallest relative increase of the canary's rate worth acting on: 1 means "twice
   * stable's rate". Failing is aimed at regressions this large or larger, and a pass
   * means such a regression has been ruled out. Default 1.
   */
  minEffect?: number;
  /**
   * Relative increase still treated as "no worse" by the fail side: rollbacks are
   * controlled at `alpha` for every θ ≤ 1 + tolerance. Must stay below `minEffect`. Default 0.
   */
  tolerance?: number;
  /**
   * Mixture over θ used as the "canary is worse" alternative. Default: a log-spaced grid
   * from 1 + minEffect to 64 with most weight on the smallest effects (see DEFAULT_FAIL_MIXTURE).
   * Every ratio must exceed 1 + tolerance.
   */
  failMixture?: readonly RatioWeight[];
  /**
   * Mixture over θ used as the "canary is fine" alternative. Default: θ = 1 + tolerance alone
   * (a canary as good as stable; better canaries pass faster still). Every ratio must be
   * below 1 + minEffect.
   */
  passMixture?: readonly RatioWeight[];
}

/** Everything a test needs, after defaulting and validation. */
export interface ResolvedCountOptions {
  alpha: number;
  passAlpha: number;
  minEffect: number;
  tolerance: number;
  failMixture: readonly RatioWeight[];
  passMixture: readonly RatioWeight[];
}

/** Request and event counts of one batch (or cumulated over all batches). */
export interface CountBatch {
  canaryRequests: number;
  /** Canary events: errors for the counting test, slow requests for the latency test. */
  canaryErrors: number;
  stableRequests: number;
  stableErrors: number;
}

/** Immutable state of one sequential test; every update returns a new one. */
export interface CountTestState {
  readonly options: ResolvedCountOptions;
  /** Log likelihood ratio of each fail-mixture component against θ = 1 + tolerance. */
  readonly failLogLR: readonly number[];
  /** Log likelihood ratio of each pass-mixture component against θ = 1 + minEffect. */
  readonly passLogLR: readonly number[];
  /** Totals over every batch seen. */
  readonly counts: Readonly<CountBatch>;
  readonly batches: number;
  /**
   * The first boundary crossed, latched: an anytime-valid test stops at its first crossing,
   * so later batches never undo a decision.
   */
  readonly decided?: { verdict: 'fail' | 'pass'; batch: number; logBF: number };
}

/** What a sequential test concludes now; data, with a sentence for people. */
export interface SequentialDecision {
  verdict: Verdict;
  /**
   * Log Bayes factor of the boundary that decided, or of the fail side while inconclusive
   * (the side that would roll back).
   */
  statistic: number;
  /** ln(1/alpha) for the fail side, ln(1/passAlpha) for the pass side. */
  threshold: number;
  /** Both sides, for explanations and dashboards. */
  fail: { logBF: number; threshold: number };
  pass: { logBF: number; threshold: number };
  counts: Readonly<CountBatch>;
  /** Canary event rate over stable's (totals), undefined while either side has no requests or stable has no events. */
  ratioEstimate?: number;
  reason: string;
}

/** Stable machine codes of the sequential judge's errors. */
export type SequentialErrorCode =
  /** An option is out of range or inconsistent with another one. */
  | 'SLUICE_SEQUENTIAL_OPTIONS'
  /** A batch of counts is malformed (negative, fractional, more events than requests). */
  | 'SLUICE_SEQUENTIAL_BATCH';

/** A misuse of the sequential judge: `code` for programs, a sentence saying what to do for people. */
export class SequentialError extends Error {
  readonly code: SequentialErrorCode;

  constructor(code: SequentialErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SequentialError';
    this.code = code;
  }
}
