import type { PauseReason, RolloutState } from './types.js';
import type { Draft } from './draft.js';
import { changeRoutes, emit, isWatched, promotedRoutes, splitRoutes, stableRoutes } from './draft.js';
import { formatDuration, pausedMessage, stepLabel, stepNumbers, waitingMessage } from './describe.js';
import { enforceJudgeDeadline, judgeAllowsStep, resetJudgeStep } from './judge.js';
import { askRolloutHooks, continueHeld, endHooks, holdFor, holdForRolloutHooks, rolloutHooksPending } from './hooks.js';
import { settlePostPromotion, startPostPromotion } from './lifecycle.js';

/*
 * Walking the steps. Entering a step either finishes it at once (setWeight,
 * or a wait that is already satisfied) and walks on, or stops there to wait.
 * Every new step resets `stepStartedAt` and `passesThisStep`, so a pass only
 * counts for the step (and weight) it was measured in.
 */

/**
 * Whether the current step's wait is over. Never advances blind: while checks
 * can run (analysis configured, canary has traffic) a timed pause also needs a
 * check of this step to have passed with no failed one since, and so does
 * promotion (inconclusive checks in between neither help nor hurt).
 * An analysis step with nothing to measure completes at once, like a pause.
 */
export function isStepDone(state: RolloutState, now: number): boolean {
  const step = state.spec.steps[state.stepIndex];
  if (rolloutHooksPending(state)) return false;
  const watched = isWatched(state);
  const passed = state.analysis.passesThisStep >= 1;
  const judgeOk = judgeAllowsStep(state, step === undefined);
  if (step === undefined) return (!watched || passed) && judgeOk;
  if ('setWeight' in step) return true;
  if ('analysis' in step) return (!watched || state.analysis.passesThisStep >= step.analysis.checks) && judgeOk;
  const { duration } = step.pause;
  // A judge that has passed the canary skips the remaining timed waits.
  const waited = duration !== undefined && (now - state.stepStartedAt >= duration || (state.judge?.passed === true && state.canaryWeight > 0));
  return waited && (!watched || passed) && judgeOk;
}

/** In a progressing rollout, finish the current step if its wait is over and walk on. */
export function settle(draft: Draft): void {
  const { state, now } = draft;
  if (state.phase !== 'progressing') return;
  if (continueHeld(draft) || settlePostPromotion(draft)) return;
  if (isStepDone(state, now)) {
    advance(draft);
  } else {
    state.message = waitingMessage(state, now);
    const step = state.spec.steps[state.stepIndex];
    enforceJudgeDeadline(draft, step && 'pause' in step ? step.pause.duration : undefined);
  }
}

/** Leave the current step (done or skipped) and enter the next. */
export function advance(draft: Draft): void {
  draft.state.stepIndex += 1;
  enterStep(draft);
}

/** Begin the step at `stepIndex`, walking on through every step that completes at once. */
export function enterStep(draft: Draft): void {
  const { state, now } = draft;
  while (state.phase === 'progressing') {
    const step = state.spec.steps[state.stepIndex];
    if (step === undefined) {
      finishSteps(draft);
      return;
    }
    state.stepStartedAt = now;
    state.progressAt = now;
    state.analysis.passesThisStep = 0;
    resetJudgeStep(state, now);
    if ('setWeight' in step) {
      if (step.setWeight > state.canaryWeight && (holdForRolloutHooks(draft) || holdFor(draft, 'confirm-traffic-increase', state.stepIndex))) return;
      setWeight(draft, step.setWeight);
    } else if ('pause' in step && step.pause.duration === undefined) {
      pause(draft, 'gate');
      return;
    } else {
      state.message = waitingMessage(state, now);
      emit(draft, { type: 'step-advanced', message: state.message, data: stepData(state) });
      if (!isStepDone(state, now)) return;
    }
    state.stepIndex += 1;
  }
}

/** After the last step: promote (once the confirm-promotion hooks agree), or wait for one passing check at the final weight. */
export function finishSteps(draft: Draft): void {
  const { state, now } = draft;
  state.stepIndex = state.spec.steps.length;
  resetJudgeStep(state, now);
  if (isStepDone(state, now)) {
    if (holdFor(draft, 'confirm-promotion', state.stepIndex) || startPostPromotion(draft)) return;
    promote(draft);
    return;
  }
  state.message = waitingMessage(state, now);
  emit(draft, { type: 'step-advanced', message: state.message, data: stepData(state) });
}

/** Move the canary to `weight` percent; the next check measures the new weight only. */
export function setWeight(draft: Draft, weight: number): void {
  const { state, now } = draft;
  const from = state.canaryWeight;
  if (weight === from) return;
  changeRoutes(draft, splitRoutes(state.spec, weight));
  const interval = state.spec.analysis?.interval ?? 0;
  state.analysis.windowStart = now;
  state.analysis.nextCheckAt = now + interval;
  state.message = state.spec.flag
    ? `${stepLabel(state)}: users on "${state.spec.flag.variant}" ${from}% → ${weight}%`
    : `${stepLabel(state)}: canary weight ${from}% → ${weight}%`;
  emit(draft, { type: 'weight-changed', message: state.message, data: { from, to: weight, ...stepData(state) } });
  askRolloutHooks(draft);
}

/** Stop and wait for a person. */
export function pause(draft: Draft, reason: PauseReason, actor?: string): void {
  const { state } = draft;
  state.phase = 'paused';
  state.pauseReason = reason;
  state.message = pausedMessage(state, actor);
  emit(draft, {
    type: 'paused',
    message: state.message,
    ...(actor === undefined ? {} : { actor }),
    data: { reason, ...stepData(state), ...(reason === 'inconclusive' && state.lastCheck ? { check: { ...state.lastCheck } } : {}) },
  });
}

/** Finish: the canary's upstreams become the new stable and carry all traffic. */
export function promote(draft: Draft, actor?: string): void {
  const { state, now } = draft;
  const from = state.canaryWeight;
  state.phase = 'promoted';
  delete state.pauseReason;
  state.stepIndex = state.spec.steps.length;
  state.finishedAt = now;
  state.analysis.pending = false;
  changeRoutes(draft, promotedRoutes(state.spec));
  const upstreams = state.spec.service.canary.upstreams.join(', ');
  const who = actor === undefined ? '' : ` by ${actor}`;
  state.message = `promoted${who} after ${formatDuration(now - state.startedAt)}: ${upstreams} is now stable and carries all traffic`;
  emit(draft, {
    type: 'promoted',
    message: state.message,
    ...(actor === undefined ? {} : { actor }),
    data: { fromWeight: from, stable: state.routes.stable, ...(state.lastCheck ? { check: { ...state.lastCheck } } : {}) },
  });
  endHooks(draft);
}

/** Finish with all traffic on stable: a rollback or an abort. */
export function endOnStable(
  draft: Draft,
  phase: 'rolled-back' | 'aborted',
  message: string,
  extra: { actor?: string; data?: Record<string, unknown> },
): void {
  const { state, now } = draft;
  const from = state.canaryWeight;
  state.phase = phase;
  delete state.pauseReason;
  state.finishedAt = now;
  state.analysis.pending = false;
  changeRoutes(draft, stableRoutes(state.spec));
  state.message = message;
  emit(draft, {
    type: phase,
    message,
    ...(extra.actor === undefined ? {} : { actor: extra.actor }),
    data: { fromWeight: from, ...stepData(state), ...extra.data },
  });
  endHooks(draft);
}

/** Where the rollout stands, for event data: stepIndex (0-based), step (1-based, as people see it), steps, canaryWeight. */
export function stepData(state: RolloutState): Record<string, unknown> {
  return { ...stepNumbers(state.stepIndex, state.spec.steps.length), canaryWeight: state.canaryWeight };
}
