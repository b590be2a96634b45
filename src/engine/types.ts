import type { CheckResult } from '../analysis/types.js';
import type { Routes } from '../routers/router.js';
import type { RolloutSpec } from '../spec/types.js';
import type { CountTestState, SequentialDecision } from '../analysis/sequential-types.js';
import type { LatencyTestState } from '../analysis/latency-test.js';
import type { HookResult, HookRun, HooksState, Notification } from './hook-types.js';

export type { HookResult, HookRun, HooksState, Notification } from './hook-types.js';

/**
 * Where a rollout is. Terminal phases end the revision; `retry` starts it again.
 *
 * - `progressing`: walking the steps; the canary gets the current step's weight.
 * - `paused`: waiting at a manual gate, on a user's pause, or after too many
 *   inconclusive checks (onInconclusive: pause). Analysis keeps running while the
 *   canary has traffic, so a failing canary is still rolled back while paused.
 * - `promoted`: terminal. The canary's upstreams are the new stable and carry all traffic.
 * - `rolled-back`: terminal. Analysis failed (or ran out of patience with
 *   onInconclusive: rollback); all traffic is on stable.
 * - `aborted`: terminal. A user aborted; all traffic is on stable.
 */
export type Phase = 'progressing' | 'paused' | 'promoted' | 'rolled-back' | 'aborted';

export const TERMINAL_PHASES: readonly Phase[] = ['promoted', 'rolled-back', 'aborted'];

export type PauseReason = 'gate' | 'user' | 'inconclusive';

export interface AnalysisCounters {
  /** Failed checks in this revision. */
  failures: number;
  /** Inconclusive checks in a row (reset by a pass or a fail). */
  inconclusiveInARow: number;
  /** Passing checks since the current step began or its last failed check; inconclusive ones leave it (gates `analysis` steps and promotion). */
  passesThisStep: number;
  /** Checks run in this revision. */
  checks: number;
  /** Start of the next check's window (ms). */
  windowStart: number;
  /** When the next check is due (ms). */
  nextCheckAt: number;
  /** A runCheck action was emitted and its result has not come back yet. */
  pending: boolean;
  /** Provider errors in a row, per metric name (absent: none); over consecutiveErrorLimit rolls back. */
  consecutiveErrors?: Record<string, number>;
}

/** Counts the proxy saw since the previous judge batch, all at one traffic split. */
export interface JudgeBatch {
  canaryRequests: number;
  canaryErrors: number;
  stableRequests: number;
  stableErrors: number;
  /** Requests slower than `judge.latency.thresholdMs`, once that is known. */
  canarySlow?: number;
  stableSlow?: number;
  /** While the slow threshold is being learned: stable's quantile and request count since the revision started. */
  stableQuantileMs?: number;
  stableSamples?: number;
}

/** One sequential test's latest conclusion, trimmed for storage and display. */
export type JudgeDecision = Pick<SequentialDecision, 'verdict' | 'statistic' | 'threshold' | 'counts' | 'reason' | 'ratioEstimate'> & {
  fail: SequentialDecision['fail'];
  pass: SequentialDecision['pass'];
  thresholdMs?: number;
};

/** The sequential judge of one revision: its tests' running state and where the current step stands. */
export interface JudgeState {
  errors: CountTestState;
  latency?: LatencyTestState;
  /** Latched once both tests have passed: the canary is not worse by the minimum effect. */
  passed: boolean;
  /** Errors (either version) seen since the current step began. */
  stepEvents: number;
  /** When the current step's wait for evidence began (ms). */
  waitSince: number;
  last?: { errors: JudgeDecision; latency?: JudgeDecision };
}

export interface RolloutState {
  name: string;
  revision: number;
  spec: RolloutSpec;
  phase: Phase;
  pauseReason?: PauseReason;
  /** Index into spec.steps of the step in progress; spec.steps.length once all are done. */
  stepIndex: number;
  stepStartedAt: number;
  canaryWeight: number;
  /** The desired routes: persisted before they are applied (intent before effect). */
  routes: Routes;
  analysis: AnalysisCounters;
  startedAt: number;
  finishedAt?: number;
  /** Human summary of the latest decision. */
  message: string;
  /** The latest check, for status displays. */
  lastCheck?: CheckResult;
  /** Present when the spec configures the sequential judge. */
  judge?: JudgeState;
  /** Present when the spec has hooks: outstanding runs, what passed, where the walk is held. */
  hooks?: HooksState;
  /** When the rollout last made progress (a step began, a gate opened, a resume); the progress deadline counts from here. */
  progressAt?: number;
  /** Set once all traffic is on the canary for the post-promotion analysis window. */
  postPromotion?: { since: number; until: number };
}

export type Input =
  | { type: 'tick' }
  | { type: 'check'; result: CheckResult }
  | { type: 'judge'; batch: JudgeBatch }
  | { type: 'hook'; result: HookResult }
  | { type: 'promote'; full: boolean; actor: string }
  | { type: 'abort'; actor: string; reason?: string }
  | { type: 'pause'; actor: string }
  | { type: 'resume'; actor: string }
  | { type: 'retry'; actor: string }
  /** Within spec.undoWindow after promotion: all traffic back to the previous stable. */
  | { type: 'undo'; actor: string; reason?: string };

export type EventType =
  | 'started'
  | 'weight-changed'
  | 'step-advanced'
  | 'check'
  | 'judged'
  | 'paused'
  | 'resumed'
  | 'promoted'
  | 'rolled-back'
  | 'aborted'
  | 'retried'
  | 'routes-confirmed'
  | 'hook'
  | 'deleted';

/** An event to persist, in the same transaction as the state it explains. */
export interface EventDraft {
  type: EventType;
  message: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export type Action =
  | { type: 'setRoutes'; routes: Routes }
  /** Measure the window [from, to] and feed the result back as a `check` input. */
  | { type: 'runCheck'; from: number; to: number }
  | { type: 'event'; event: EventDraft }
  /** Run a hook (state.hooks.runs holds it) and feed its result back as a `hook` input. */
  | { type: 'runHook'; run: HookRun }
  /** Tell the rollout's notification targets; derived from the events of the same step. */
  | { type: 'notify'; notification: Notification };

/** Why an input was refused. */
export interface Rejection {
  code: string;
  message: string;
  /** The phase accepts no such input at all (rather than this input being refused for a reason of its own). */
  byPhase?: true;
}

export interface StepResult {
  state: RolloutState;
  actions: Action[];
  /** Set when the input is refused; state is then unchanged. */
  rejected?: Rejection;
}
