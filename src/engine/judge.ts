import { decideLatencyTest, initLatencyTest, updateLatencyTestCounts } from '../analysis/latency-test.js';
import { decideCountTest, initCountTest, updateCountTest } from '../analysis/sequential.js';
import type { SequentialDecision } from '../analysis/sequential-types.js';
import type { JudgeSpec, RolloutSpec } from '../spec/types.js';
import type { Draft } from './draft.js';
import { canaryServes, emit, isTerminal } from './draft.js';
import type { Rejection } from './checks.js';
import { UNEXPECTED_CHECK } from './checks.js';
import { endOnStable, pause, settle } from './steps.js';
import { shareText, wordingOf } from './describe.js';
import type { JudgeBatch, JudgeDecision, JudgeState, RolloutState } from './types.js';

/*
 * The sequential judge inside the state machine. The controller feeds it the
 * proxy's counts in batches, each at one traffic split, as often as it ticks;
 * the tests are anytime-valid, so looking that often costs no false rollbacks.
 * A fail rolls back at once; a pass (errors, and latency when configured) lets
 * the rollout skip its remaining timed waits. Too little evidence is never a
 * pass: a step waits up to `maxWait` past its duration, then onInconclusive.
 */

/** The judge's tests for a fresh start; alpha is split between errors and latency when both run. */
export function freshJudge(spec: RolloutSpec, now: number): JudgeState | undefined {
  const judge = spec.analysis?.judge;
  if (!judge) return undefined;
  const alpha = judge.latency ? judge.alpha / 2 : judge.alpha;
  const options = { alpha, minEffect: judge.minEffect, tolerance: judge.tolerance };
  return {
    errors: initCountTest(options),
    ...(judge.latency ? { latency: initLatencyTest({ ...options, quantile: judge.latency.quantile, warmupSamples: judge.latency.warmupRequests }) } : {}),
    passed: false,
    stepEvents: 0,
    waitSince: now,
  };
}

/** Whether the judge watches this rollout now (configured, and the canary serves clients by weight or match rules). */
export function isJudged(state: RolloutState): boolean {
  return state.judge !== undefined && canaryServes(state) && !isTerminal(state.phase);
}

/** A new step begins: its evidence count and its wait start afresh. */
export function resetJudgeStep(state: RolloutState, now: number): void {
  if (!state.judge) return;
  state.judge.stepEvents = 0;
  state.judge.waitSince = now;
}

/** Whether the judge lets the current step end: a pass, or enough events seen at this weight. */
export function judgeAllowsStep(state: RolloutState, lastStep: boolean): boolean {
  const judge = state.judge;
  if (!judge || !canaryServes(state)) return true;
  if (judge.passed) return true;
  return !lastStep && judge.stepEvents >= (state.spec.analysis?.judge?.minStepEvents ?? 0);
}

/** Fold one batch of counts into the judge and act on its decision. */
export function takeJudgeBatch(draft: Draft, batch: JudgeBatch): Rejection | undefined {
  const { state } = draft;
  const spec = state.spec.analysis?.judge;
  if (!spec || !state.judge) return { code: UNEXPECTED_CHECK, message: `rollout ${state.name} has no judge configured; ignoring a judge batch` };
  if (!canaryServes(state)) return undefined;
  const judge = state.judge;
  judge.errors = updateCountTest(judge.errors, {
    canaryRequests: batch.canaryRequests,
    canaryErrors: batch.canaryErrors,
    stableRequests: batch.stableRequests,
    stableErrors: batch.stableErrors,
  });
  judge.stepEvents += batch.canaryErrors + batch.stableErrors;
  if (judge.latency) judge.latency = feedLatency(judge.latency, batch);

  const words = wordingOf(state);
  const errors = decideCountTest(judge.errors, 'error rate', words);
  const latency = judge.latency ? decideLatencyTest(judge.latency, words) : undefined;
  judge.last = { errors: trim(errors), ...(latency ? { latency: trim(latency) } : {}) };

  const failed = [errors, latency].find((d) => d?.verdict === 'fail');
  if (failed) {
    endOnStable(draft, 'rolled-back', `rolled back by the sequential judge: ${failed.reason}`, { data: { judge: { ...judge.last }, rule: 'sequential-judge' } });
    return undefined;
  }
  if (!judge.passed && errors.verdict === 'pass' && (!latency || latency.verdict === 'pass')) {
    judge.passed = true;
    const reason = latency ? `${errors.reason}; ${latency.reason}` : errors.reason;
    emit(draft, { type: 'judged', message: `the sequential judge passed ${words.canary === 'canary' ? 'the canary' : words.canary} at ${shareText(state)}: ${reason}`, data: { judge: { ...judge.last }, rule: 'sequential-judge' } });
  }
  if (state.phase === 'progressing') settle(draft);
  return undefined;
}

/**
 * Called on ticks: a step that has waited `maxWait` past its duration without
 * enough evidence ends the wait as the spec says (pause or roll back).
 */
export function enforceJudgeDeadline(draft: Draft, stepDuration: number | undefined): void {
  const { state, now } = draft;
  const spec: JudgeSpec | undefined = state.spec.analysis?.judge;
  if (!spec || !state.judge || !isJudged(state) || state.phase !== 'progressing' || state.judge.passed) return;
  const deadline = state.judge.waitSince + (stepDuration ?? 0) + spec.maxWait;
  if (now < deadline) return;
  const reasons = state.judge.last ? [state.judge.last.errors.reason, state.judge.last.latency?.reason].filter(Boolean).join('; ') : '';
  const last = reasons || 'no requests measured yet';
  const needed = state.stepIndex >= state.spec.steps.length
    ? `the judge must pass ${state.spec.flag ? wordingOf(state).canary : 'the canary'} before promotion`
    : `${state.judge.stepEvents} errors seen at this step, ${spec.minStepEvents} needed to go on`;
  const why = `not enough evidence at ${shareText(state)} after waiting ${Math.round((now - state.judge.waitSince) / 1000)}s (${needed}): ${last}`;
  if (state.spec.onInconclusive === 'rollback') {
    endOnStable(draft, 'rolled-back', `rolled back: ${why}`, { data: { judge: { ...state.judge.last }, rule: 'judge-max-wait' } });
  } else {
    pause(draft, 'inconclusive');
    state.message = `paused: ${why}; \`sluice promote\` to continue, \`sluice abort\` to roll back`;
  }
}

function feedLatency(test: NonNullable<JudgeState['latency']>, batch: JudgeBatch): NonNullable<JudgeState['latency']> {
  if (test.thresholdMs === undefined) {
    // Learn the slow threshold once from stable's traffic, then freeze it.
    if (batch.stableQuantileMs !== undefined && (batch.stableSamples ?? 0) >= test.warmupSamples && batch.stableQuantileMs > 0) {
      return { ...test, thresholdMs: batch.stableQuantileMs, warmup: [] };
    }
    return test;
  }
  if (batch.canarySlow === undefined || batch.stableSlow === undefined) return test;
  return updateLatencyTestCounts(test, {
    canaryRequests: batch.canaryRequests,
    canaryErrors: batch.canarySlow,
    stableRequests: batch.stableRequests,
    stableErrors: batch.stableSlow,
  });
}

function trim(d: SequentialDecision & { thresholdMs?: number }): JudgeDecision {
  return {
    verdict: d.verdict,
    statistic: d.statistic,
    threshold: d.threshold,
    counts: { ...d.counts },
    reason: d.reason,
    fail: d.fail,
    pass: d.pass,
    ...(d.ratioEstimate === undefined ? {} : { ratioEstimate: d.ratioEstimate }),
    ...(d.thresholdMs === undefined ? {} : { thresholdMs: d.thresholdMs }),
  };
}
