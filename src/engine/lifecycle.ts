import type { Draft } from './draft.js';
import { isWatched } from './draft.js';
import type { Rejection } from './checks.js';
import { formatDuration, stepLabel } from './describe.js';
import { rolloutHooksPending } from './hooks.js';
import { endOnStable, promote, setWeight } from './steps.js';
import type { RolloutState } from './types.js';

/*
 * The rollout's life around the steps: the post-promotion analysis window,
 * undo after promotion, and the progress deadline.
 */

/** Codes of refused undos. */
export const UNDO_DISABLED = 'SLUICE_UNDO_DISABLED';
export const UNDO_EXPIRED = 'SLUICE_UNDO_EXPIRED';

/**
 * Instead of promoting: all traffic to the canary (its upstreams keep their
 * role, so checks measure them and a rollback is one weight change), judged
 * for the window. False when the spec has no window (or it already ran).
 */
export function startPostPromotion(draft: Draft): boolean {
  const { state, now } = draft;
  const window = state.spec.postPromotion;
  if (!window || state.postPromotion) return false;
  state.postPromotion = { since: now, until: now + window.duration };
  state.stepStartedAt = now;
  state.progressAt = now;
  state.analysis.passesThisStep = 0;
  setWeight(draft, 100);
  state.message = postPromotionMessage(state, now);
  return true;
}

/** In settle(): during the window, promote once it is over and the checks agree. True while the window applies. */
export function settlePostPromotion(draft: Draft): boolean {
  const { state, now } = draft;
  const window = state.postPromotion;
  if (!window) return false;
  const checked = !isWatched(state) || state.analysis.passesThisStep >= 1;
  if (now >= window.until && checked && !rolloutHooksPending(state)) promote(draft);
  else state.message = postPromotionMessage(state, now);
  return true;
}

function postPromotionMessage(state: RolloutState, now: number): string {
  const window = state.postPromotion!;
  const left = window.until - now;
  const wait = left > 0 ? `for ${formatDuration(left)} more` : isWatched(state) ? 'until a check passes' : 'until its hooks pass';
  return `post-promotion analysis: all traffic on the canary, judged ${wait} before it becomes stable; a failure switches back to stable`;
}

/** `undo`: within spec.undoWindow after promotion, the previous stable gets all traffic again. */
export function undo(draft: Draft, actor: string, reason: string | undefined): Rejection | undefined {
  const { state, now } = draft;
  const window = state.spec.undoWindow;
  if (window === undefined) {
    return { code: UNDO_DISABLED, message: `rollout ${state.name} has no spec.undoWindow, so its promotion cannot be undone; apply the previous version as a new rollout` };
  }
  const since = now - (state.finishedAt ?? now);
  if (since > window) {
    return {
      code: UNDO_EXPIRED,
      message: `rollout ${state.name} was promoted ${formatDuration(since)} ago, past its undo window of ${formatDuration(window)}; apply the previous version as a new rollout`,
    };
  }
  const stable = state.spec.service.stable.upstreams.join(', ');
  const why = reason ? `: ${reason}` : '';
  endOnStable(draft, 'aborted', `undone by ${actor} ${formatDuration(since)} after promotion${why}; all traffic is back on the previous stable (${stable})`, {
    actor,
    data: { undo: true, promotedAt: state.finishedAt ?? null, reason: reason ?? null },
  });
  return undefined;
}

/**
 * On ticks: a rollout with no progress for spec.progressDeadline past its own
 * wait (a timed pause, the post-promotion window) is rolled back. A person's
 * pause or manual gate does not count: a person is in charge then.
 * True when it rolled back.
 */
export function enforceProgressDeadline(draft: Draft): boolean {
  const { state, now } = draft;
  const deadline = state.spec.progressDeadline;
  if (deadline === undefined) return false;
  if (state.phase === 'paused' && state.pauseReason !== 'inconclusive') return false;
  if (state.phase !== 'progressing' && state.phase !== 'paused') return false;
  const since = state.progressAt ?? state.stepStartedAt;
  const step = state.spec.steps[state.stepIndex];
  const ownWait = state.postPromotion
    ? state.postPromotion.until - state.postPromotion.since
    : step && 'pause' in step && step.pause.duration !== undefined && !state.hooks?.holding
      ? step.pause.duration
      : 0;
  const stuck = now - since - ownWait;
  if (stuck <= deadline) return false;
  endOnStable(draft, 'rolled-back', `rolled back: no progress at ${stepLabel(state)} for ${formatDuration(now - since)} (progressDeadline ${formatDuration(deadline)}): ${state.message}`, {
    data: { cause: 'deadline', progressAt: since, deadline },
  });
  return true;
}
