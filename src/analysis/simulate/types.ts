import type { CountBatch } from '../sequential-types.js';

/** Traffic and error rates of one simulated rollout. */
export interface Scenario {
  /** Short label, e.g. "S1". */
  name: string;
  /** Total requests per second across both versions (Poisson arrivals). */
  rps: number;
  /** Probability that a stable request fails. */
  stableErrorRate: number;
  /** Probability that a canary request fails. */
  canaryErrorRate: number;
  /**
   * Multiplies both error rates at time t (seconds): a baseline that drifts, as real
   * traffic does. Default: constant 1. Rates are capped at 1.
   */
  baselineFactor?: (t: number) => number;
}

/** How a simulated rollout ended. */
export type Outcome = 'rolledBack' | 'promoted' | 'held';

/** A policy's decision, with the rule that fired. */
export interface PolicyDecision {
  outcome: Outcome;
  reason: string;
}

/** One rollout in progress under a policy; a fresh one per simulated run. */
export interface PolicyRun {
  /** Canary share of traffic (0–1) during the tick that starts at `t` seconds. */
  weight(t: number): number;
  /** Counts of the tick that ended at `tEnd` seconds; a decision ends the run. */
  observe(tEnd: number, tick: CountBatch): PolicyDecision | undefined;
}

/** A way of judging a canary (Sluice's judge, Flagger's or Argo's threshold checks). */
export interface Policy {
  /** The factory type, e.g. "sluice". */
  readonly type: string;
  /** A label for tables, e.g. "flaggerThr5". */
  readonly name: string;
  start(): PolicyRun;
}

/** What one simulated rollout cost and how it ended. */
export interface RunResult {
  outcome: Outcome;
  /** Failed canary requests served before the decision took effect. */
  badCanaryRequests: number;
  canaryRequests: number;
  decisionSeconds: number;
  reason: string;
}

export interface SimulationOptions {
  /** Seconds per tick: traffic is drawn and the policy consulted once per tick. Default 1. */
  tickSeconds?: number;
  /** A run that has not decided by then ends as "held". Default 3600. */
  horizonSeconds?: number;
}
