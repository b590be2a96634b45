import type { Input, Phase } from './types.js';
import type { Draft } from './draft.js';
import { emit } from './draft.js';
import type { Rejection } from './checks.js';
import { INVALID_TRANSITION, takeCheck } from './checks.js';
import { backToStableText, stepLabel, stepNumbers } from './describe.js';
import { start } from './start.js';
import { takeJudgeBatch } from './judge.js';
import { advance, endOnStable, pause, promote, settle } from './steps.js';
import { overrideGatesAhead, overrideHold, takeHookResult } from './hooks.js';
import { enforceProgressDeadline, undo } from './lifecycle.js';

export type InputType = Input['type'];

/** Handles one input in one phase by changing the draft; may refuse it with a rejection. */
export type Handler<T extends InputType> = (draft: Draft, input: Extract<Input, { type: T }>) => Rejection | void;

/** Per phase, the inputs it accepts. An absent entry is a rejected transition. */
export type TransitionTable = { readonly [P in Phase]: { readonly [T in InputType]?: Handler<T> } };

const tick: Handler<'tick'> = (draft) => {
  if (!enforceProgressDeadline(draft)) settle(draft);
};

/** While paused nothing moves on its own (but a pause after inconclusive checks has a deadline); checks still run. */
const idle: Handler<'tick'> = (draft) => void enforceProgressDeadline(draft);

/** Within the undo window after promotion: back to the previous stable. */
const undoInput: Handler<'undo'> = (draft, input) => undo(draft, input.actor, input.reason);

const check: Handler<'check'> = (draft, input) => takeCheck(draft, input.result);

const judge: Handler<'judge'> = (draft, input) => takeJudgeBatch(draft, input.batch);

/** A hook's result; in a finished rollout only post-rollout results are outstanding. */
const hook: Handler<'hook'> = (draft, input) => takeHookResult(draft, input.result);

/** `full`: promote now. Otherwise leave a pause, or skip the current step; past the last step that is a promotion. */
const promoteInput: Handler<'promote'> = (draft, input) => {
  const { state } = draft;
  if (input.full || state.stepIndex >= state.spec.steps.length) {
    overrideGatesAhead(draft, input.actor);
    promote(draft, input.actor);
    return;
  }
  const skipped = stepLabel(state);
  if (state.hooks?.holding) {
    if (state.phase === 'paused') leavePause(draft, input.actor, `${input.actor} promoted past the ${state.hooks.holding.phase} hooks`);
    overrideHold(draft, input.actor);
    settle(draft);
    return;
  }
  if (state.phase === 'paused') {
    leavePause(draft, input.actor, `${input.actor} promoted past ${skipped}`);
  } else {
    emit(draft, {
      type: 'step-advanced',
      message: `${input.actor} skipped ${skipped}`,
      actor: input.actor,
      data: { skipped: state.stepIndex },
    });
  }
  advance(draft);
};

const abort: Handler<'abort'> = (draft, input) => {
  const why = input.reason === undefined || input.reason === '' ? '' : `: ${input.reason}`;
  endOnStable(draft, 'aborted', `aborted by ${input.actor}${why}; ${backToStableText(draft.state)}`, {
    actor: input.actor,
    data: { reason: input.reason ?? null },
  });
};

const pauseInput: Handler<'pause'> = (draft, input) => pause(draft, 'user', input.actor);

/**
 * Resume where it stopped: after a person's pause, or after inconclusive checks (the streak is forgiven).
 * A manual gate is an approval, which only `promote` gives.
 */
const resume: Handler<'resume'> = (draft, input) => {
  if (draft.state.pauseReason === 'gate') {
    return {
      code: INVALID_TRANSITION,
      message: `it waits at a manual gate at ${stepLabel(draft.state)}: a gate is an approval, which only a promote gives (resume continues a rollout paused by a person or by inconclusive checks)`,
    };
  }
  leavePause(draft, input.actor, `resumed by ${input.actor} at ${stepLabel(draft.state)}`);
  settle(draft);
};

function leavePause(draft: Draft, actor: string, message: string): void {
  const { state } = draft;
  const reason = state.pauseReason;
  if (reason === 'inconclusive') state.analysis.inconclusiveInARow = 0;
  state.phase = 'progressing';
  delete state.pauseReason;
  state.progressAt = draft.now;
  state.message = message;
  emit(draft, { type: 'resumed', message, actor, data: { reason: reason ?? null, ...stepNumbers(state.stepIndex, state.spec.steps.length) } });
}

/** A fresh start of the same revision, as `initialState` does. */
const retry: Handler<'retry'> = (draft, input) => {
  start(draft, input.actor);
};

/**
 * The rollout state machine, the one place that says which input each phase
 * accepts. Terminal phases accept only `retry` (and `promoted` not even that).
 */
export const transitions: TransitionTable = {
  progressing: { tick, check, judge, hook, promote: promoteInput, abort, pause: pauseInput },
  paused: { tick: idle, check, judge, hook, promote: promoteInput, abort, resume },
  promoted: { hook, undo: undoInput },
  'rolled-back': { retry, hook },
  aborted: { retry, hook },
};
