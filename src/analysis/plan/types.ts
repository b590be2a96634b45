/**
 * Types of `sluice plan`: what a user expects of their traffic, what each step of a
 * rollout can detect at that traffic, and what a simulation of the whole rollout costs.
 */

/** The traffic a user expects and the regression the plan is about. */
export interface PlanInputs {
  /** Total requests per second across both versions. */
  rps: number;
  /** Baseline error rate (stable's, and a healthy canary's), 0–1. */
  errorRate: number;
  /** A regressed canary fails `regression` times as often as stable; > 1. */
  regression: number;
  /** Wanted chance of detecting the regression within a step, 0–1. */
  power: number;
  /** Simulated rollouts per case and policy. */
  runs: number;
  /** Seed of the simulation; equal seeds give equal figures. */
  seed: number;
  /** Other tools' default policies simulated side by side. */
  compare: readonly ComparedPolicy[];
}

/** Policies `--compare` knows. */
export type ComparedPolicy = 'flagger' | 'argo';
export const COMPARED_POLICIES: readonly ComparedPolicy[] = ['flagger', 'argo'];

/**
 * The time a rollout spends at one canary weight: a `setWeight` and the waits after it.
 * Consecutive steps at the same weight belong to one stage.
 */
export interface Stage {
  /** 1-based numbers of the spec steps this stage covers (its setWeight and waits). */
  steps: number[];
  /** Canary weight in percent. */
  weight: number;
  /** Sum of the timed pauses, in seconds. */
  pauseSeconds: number;
  /** Passing checks the stage's `analysis` steps ask for (0 when it has none). */
  checks: number;
  /** A pause without duration: waits for a person. */
  gate: boolean;
  /** Shortest time of each timed pause or analysis step of the stage, in order (gates excluded). */
  waits: number[];
  /**
   * Shortest time the stage can last, in seconds: its pauses plus one check interval per
   * required check; 0 for a gate alone (a person decides).
   */
  minSeconds: number;
}

/** How long a step must last to detect the regression, by one way of judging. */
export interface Detection {
  /** Seconds needed for the wanted power; undefined when it is never reached (see `why`). */
  seconds?: number;
  /** Chance of detecting the regression within the stage's own duration (undefined for a gate). */
  powerInStep?: number;
  /** Why the power is never reached, when it is not. */
  why?: string;
}

/** Judging by threshold checks at one weight, in isolation. */
export interface ThresholdDetection extends Detection {
  /** Expected canary requests in one check window. */
  requestsPerCheck: number;
  /** Chance that one check has at least minRequests canary requests (counts at all). */
  conclusive: number;
  /** Chance that one check of a healthy canary fails. */
  healthyFail: number;
  /** Chance that one check of the regressed canary fails. */
  regressedFail: number;
}

/** Judging by the sequential test at one weight, in isolation. */
export interface JudgeDetection extends Detection {
  /** Errors on either version per second with the regressed canary. */
  eventsPerSecond: number;
  /** Seconds until minStepEvents errors are expected (the weight may not grow before). */
  minEventsSeconds: number;
  /** Chance that the regressed canary passes the judge instead (it promotes). */
  wronglyPassed: number;
}

/** `not-modelled`: the stage's checks judge errors only on mirrored copies, which the plan does not model. */
export type StageFlag = 'too-short' | 'too-low-traffic' | 'undetectable' | 'not-modelled';

/** What one stage costs and detects at the planned traffic. */
export interface StagePlan extends Stage {
  /** Seconds the plan assumes the stage lasts: minSeconds, or longer when the judge waits for events. */
  seconds: number;
  /** Expected canary requests during the stage. */
  canaryRequests: number;
  /** Expected canary errors during the stage, healthy and regressed. */
  canaryErrors: { healthy: number; regressed: number };
  thresholds?: ThresholdDetection;
  judge?: JudgeDetection;
  /** The sooner of the two, i.e. what the rollout detects with. */
  needed?: { seconds: number; by: 'thresholds' | 'judge' };
  flags: StageFlag[];
}

/** Something to change, with the stages it is about (1-based; absent: the whole rollout). */
export interface PlanWarning {
  stages?: number[];
  flag: StageFlag | 'gate' | 'false-rollbacks' | 'missed-regressions' | 'holds' | 'not-modelled';
  message: string;
}

/** Figures of one simulated case (healthy or regressed canary) under one policy. */
export interface CaseSummary {
  runs: number;
  rollbackRate: number;
  promoteRate: number;
  holdRate: number;
  decisionSeconds: Quantiles;
  /** Over rolled-back runs only; undefined when no run rolled back. */
  beforeRollback?: { canaryRequests: Quantiles; badRequests: Quantiles };
}

export interface Quantiles {
  median: number;
  p95: number;
}

/** One policy's simulated figures. */
export interface PolicySummary {
  /** "file", "flagger" or "argo". */
  policy: 'file' | ComparedPolicy;
  /** What the column is called in tables. */
  label: string;
  /** The policy in one line, e.g. "interval 1m, stepWeight 10, maxWeight 50, threshold 5, success rate ≥ 99%". */
  description: string;
  healthy: CaseSummary;
  regressed: CaseSummary;
}

/** Everything `sluice plan` prints. */
export interface PlanReport {
  rollout: string;
  inputs: Omit<PlanInputs, 'compare'> & { compare: ComparedPolicy[] };
  /** How the file's analysis is judged in the plan, e.g. "threshold checks (success-rate ≥ 99%) every 10s". */
  analysis: string;
  stages: StagePlan[];
  simulation: { runs: number; seed: number; seconds: number; policies: PolicySummary[] };
  warnings: PlanWarning[];
}

/** Stable codes of plan errors. */
export type PlanErrorCode =
  /** A flag value is malformed or out of range. */
  | 'SLUICE_PLAN_FLAG'
  /** The rollout cannot be planned (e.g. no step sends traffic to the canary). */
  | 'SLUICE_PLAN_ROLLOUT';

/** A plan that cannot be made: `code` for programs, a sentence saying what to do for people. */
export class PlanError extends Error {
  readonly code: PlanErrorCode;

  constructor(code: PlanErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlanError';
    this.code = code;
  }
}
