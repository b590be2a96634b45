import type { CheckResult } from '../analysis/types.js';
import type { Rejection } from './types.js';
import type { Draft } from './draft.js';
import { emit, isTerminal, isWatched } from './draft.js';
import { pausedMessage, rollbackMessage, shareText, toleratedNote, waitingMessage } from './describe.js';
import { endOnStable, pause, settle } from './steps.js';
import { trackProviderErrors } from './metric-errors.js';

/** Codes of the inputs the engine refuses; the state is then unchanged. */
export const INVALID_TRANSITION = 'SLUICE_INVALID_TRANSITION';
export const STALE_CHECK = 'SLUICE_STALE_CHECK';
export const UNEXPECTED_CHECK = 'SLUICE_UNEXPECTED_CHECK';

export type { Rejection } from './types.js';

/**
 * Start a check when one is due: the window runs from the end of the previous
 * one (or the last weight change) to now. Runs while paused too, so a failing
 * canary is rolled back even while it waits at a gate. A check still pending a
 * whole interval after it was due is presumed lost (say the controller
 * restarted mid-check) and started again, so a rollout never stalls on it.
 */
export function scheduleCheck(draft: Draft): void {
  const { state, now } = draft;
  const spec = state.spec.analysis;
  if (spec === undefined || isTerminal(state.phase) || !isWatched(state)) return;
  const counters = state.analysis;
  const lost = counters.pending && now >= counters.nextCheckAt + spec.interval;
  if ((counters.pending && !lost) || now < counters.nextCheckAt) return;
  draft.actions.push({ type: 'runCheck', from: counters.windowStart, to: now });
  counters.pending = true;
  counters.windowStart = now;
  counters.nextCheckAt = now + spec.interval;
}

/**
 * Take a check's result: count it, record it, and act on it — a fail past the
 * failure limit rolls back, inconclusive checks past their limit pause or roll
 * back, a pass may finish the step. A pass only counts toward the step when
 * its whole window lies inside the step, i.e. at the current weight; a fail
 * starts the step's count of passes again, an inconclusive check leaves it.
 */
export function takeCheck(draft: Draft, result: CheckResult): Rejection | undefined {
  const { state } = draft;
  const spec = state.spec.analysis;
  if (spec === undefined) {
    return { code: UNEXPECTED_CHECK, message: `rollout ${state.name} has no analysis configured; ignoring a check result` };
  }
  if (result.from < state.startedAt) {
    return {
      code: STALE_CHECK,
      message: `the check of ${result.from}–${result.to} predates this start of rollout ${state.name} (at ${state.startedAt}); ignored`,
    };
  }
  const counters = state.analysis;
  counters.pending = false;
  counters.checks += 1;
  // Paused on inconclusive checks, a person is already asked to decide: record the next
  // inconclusive check only when it says something new, not one event per interval forever.
  const repeat = state.phase === 'paused' && state.pauseReason === 'inconclusive' && result.verdict === 'inconclusive' && state.lastCheck?.verdict === 'inconclusive';
  state.lastCheck = result;
  if (!repeat) {
    emit(draft, {
      type: 'check',
      message: `check ${counters.checks} at ${shareText(state)}: ${result.summary}`,
      data: { ...result },
    });
  }
  const providerFailure = trackProviderErrors(counters, spec, result);
  if (providerFailure !== undefined) {
    endOnStable(draft, 'rolled-back', providerFailure, { data: { check: { ...result } } });
    return undefined;
  }

  if (result.verdict === 'pass') {
    counters.inconclusiveInARow = 0;
    if (result.from >= state.stepStartedAt) counters.passesThisStep += 1;
    if (state.phase === 'progressing') settle(draft);
    return undefined;
  }
  // An inconclusive check (say an empty window before a load hook's traffic arrives, or after
  // it ends) is no evidence either way: it counts toward inconclusiveLimit only, as Argo counts
  // inconclusive measurements apart from successes and failures, and keeps the passes this step
  // has earned. Only a failed check erases them.
  if (result.verdict === 'fail') {
    counters.passesThisStep = 0;
    counters.failures += 1;
    counters.inconclusiveInARow = 0;
    if (counters.failures > spec.failureLimit) {
      endOnStable(draft, 'rolled-back', rollbackMessage(state, result), { data: { check: { ...result } } });
      return undefined;
    }
  } else {
    counters.inconclusiveInARow += 1;
    if (counters.inconclusiveInARow > spec.inconclusiveLimit) {
      onInconclusive(draft, result);
      return undefined;
    }
  }
  const situation = state.phase === 'paused' ? pausedMessage(state) : waitingMessage(state, draft.now);
  state.message = `${situation}; ${toleratedNote(state, result)}`;
  return undefined;
}

function onInconclusive(draft: Draft, result: CheckResult): void {
  const { state } = draft;
  if (state.spec.onInconclusive === 'rollback') {
    endOnStable(draft, 'rolled-back', rollbackMessage(state, result), { data: { check: { ...result } } });
  } else if (state.phase === 'progressing') {
    pause(draft, 'inconclusive');
  } else {
    // Already paused: stay, and keep saying why checks are not concluding.
    state.message = `${pausedMessage(state)}; ${toleratedNote(state, result)}`;
  }
}
