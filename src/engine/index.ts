import type { RolloutSpec } from '../spec/types.js';
import type { Input, RolloutState, StepResult } from './types.js';
import type { Draft } from './draft.js';
import type { Handler, InputType } from './transitions.js';
import { transitions } from './transitions.js';
import { freshState, start } from './start.js';
import { INVALID_TRANSITION, scheduleCheck } from './checks.js';
import { launchDueHooks } from './hooks.js';
import { addNotifications } from './notifications.js';

export type * from './types.js';
export { TERMINAL_PHASES } from './types.js';
export type { Handler, InputType, TransitionTable } from './transitions.js';
export { transitions } from './transitions.js';
export { INVALID_TRANSITION, STALE_CHECK, UNEXPECTED_CHECK } from './checks.js';
export { isTerminal } from './draft.js';
export { STALE_HOOK } from './hooks.js';
export { UNDO_DISABLED, UNDO_EXPIRED } from './lifecycle.js';
export { formatDuration, stepNumbers } from './describe.js';

/**
 * Start a rollout: the state at step 0 plus the actions that begin it — a
 * `started` event, the initial routes (no canary traffic), then whatever
 * entering the first steps does (e.g. a weight change).
 */
export function initialState(name: string, revision: number, spec: RolloutSpec, now: number): StepResult {
  const draft: Draft = { now, state: freshState(name, revision, spec, now), actions: [] };
  start(draft);
  scheduleCheck(draft);
  addNotifications(draft);
  return { state: draft.state, actions: draft.actions };
}

/**
 * The rollout state machine: what `input` at time `now` (ms) does to `state`.
 * Pure — no I/O, no clock — and `state` is never modified. The controller
 * persists the returned state and its events, then carries out the other
 * actions (`setRoutes`, `runCheck`). A refused input returns the same state,
 * no actions and `rejected` with a stable code.
 */
export function step(state: RolloutState, input: Input, now: number): StepResult {
  const handler = transitions[state.phase][input.type] as Handler<InputType> | undefined;
  if (handler === undefined) {
    return {
      state,
      actions: [],
      rejected: { code: INVALID_TRANSITION, message: `cannot ${input.type} a rollout that is ${state.phase}`, byPhase: true },
    };
  }
  const draft: Draft = { now, state: structuredClone(state), actions: [] };
  const rejected = handler(draft, input as never);
  if (rejected) return { state, actions: [], rejected };
  scheduleCheck(draft);
  launchDueHooks(draft);
  addNotifications(draft);
  return { state: draft.state, actions: draft.actions };
}

/** Where a rollout is in its steps, for displays: 1-based step, step count, percent of steps done. */
export function progress(state: RolloutState): { step: number; steps: number; percent: number } {
  const steps = state.spec.steps.length;
  const done = state.phase === 'promoted' ? steps : Math.min(state.stepIndex, steps);
  return {
    step: Math.min(state.stepIndex + 1, steps),
    steps,
    // 100% means promoted: a rollout that walked every step and then was rolled back (or still waits for a gate) shows at most 99%.
    percent: state.phase === 'promoted' ? 100 : steps === 0 ? 0 : Math.min(99, Math.floor((done / steps) * 100)),
  };
}
