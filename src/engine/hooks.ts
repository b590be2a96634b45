import type { HookPhase, HookSpec } from '../spec/lifecycle-types.js';
import { GATE_PHASES, hookPhaseOf } from '../spec/lifecycle-types.js';
import type { RolloutSpec } from '../spec/types.js';
import type { Draft } from './draft.js';
import { canaryServes, emit } from './draft.js';
import type { Rejection } from './checks.js';
import { UNEXPECTED_CHECK } from './checks.js';
import { formatDuration, holdingMessage, shareText, stepLabel, stepNumbers } from './describe.js';
import type { HoldPhase, HookResult, HookRun, HooksState } from './hook-types.js';
import type { RolloutState } from './types.js';
import { endOnStable, enterStep, finishSteps, settle } from './steps.js';

/*
 * Hooks inside the state machine (Flagger's webhook model). A hook run is
 * asked for by putting it in state.hooks.runs and emitting runHook; its result
 * comes back as a `hook` input. Gates (confirm-*) and pre-rollout hold the
 * walk through the steps (state.hooks.holding) until they pass; settle() lets
 * it go on. Rollout hooks run at every new weight and keep the step from
 * ending until they pass; rollback hooks are polled and roll back on a 2xx.
 */

/** Code of a hook result that belongs to no outstanding run (a previous start, or already answered). */
export const STALE_HOOK = 'SLUICE_STALE_HOOK';

/** How often gates and rollback hooks are asked again when the spec has no analysis interval. */
export const DEFAULT_HOOK_POLL_MS = 10_000;

export function freshHooks(spec: RolloutSpec): HooksState | undefined {
  return spec.hooks && spec.hooks.length > 0 ? { runs: [], passed: [], seq: 0 } : undefined;
}

function hooksAt(spec: RolloutSpec, phase: HookPhase): HookSpec[] {
  return (spec.hooks ?? []).filter((h) => hookPhaseOf(h.type) === phase);
}

export function pollInterval(state: RolloutState): number {
  return state.spec.analysis?.interval ?? DEFAULT_HOOK_POLL_MS;
}

const passKey = (phase: HookPhase, step: number, hook: string) => `${phase}@${step}/${hook}`;

function ask(draft: Draft, hook: string, phase: HookPhase, step: number): void {
  const hooks = draft.state.hooks!;
  hooks.seq += 1;
  const run: HookRun = { id: `${draft.state.startedAt}.${hooks.seq}`, hook, phase, step, due: draft.now, running: false, polls: 0 };
  hooks.runs.push(run);
  launch(draft, run);
}

function launch(draft: Draft, run: HookRun): void {
  run.running = true;
  draft.actions.push({ type: 'runHook', run: { ...run } });
}

/** Whether every hook of `phase` has passed at `step`; asks (once) for runs of the others. */
export function hooksPassed(draft: Draft, phase: HookPhase, step: number): boolean {
  const hooks = draft.state.hooks;
  const wanted = hooksAt(draft.state.spec, phase);
  if (!hooks || wanted.length === 0) return true;
  let all = true;
  for (const h of wanted) {
    if (hooks.passed.includes(passKey(phase, step, h.name))) continue;
    all = false;
    if (!hooks.runs.some((r) => r.phase === phase && r.step === step && r.hook === h.name)) ask(draft, h.name, phase, step);
  }
  return all;
}

/** Holds the walk until the hooks of `phase` have passed at `step`. False when they already have (nothing holds). */
export function holdFor(draft: Draft, phase: HoldPhase, step: number): boolean {
  if (hooksPassed(draft, phase, step)) return false;
  const hooks = draft.state.hooks!;
  if (hooks.holding?.phase !== phase || hooks.holding.step !== step) hooks.holding = { phase, step, since: draft.now };
  draft.state.message = holdingMessage(draft.state);
  return true;
}

/** The start of a revision: rollback hooks begin polling, then the confirm-rollout gate and pre-rollout hooks, then the steps. */
export function beginSteps(draft: Draft): void {
  for (const h of hooksAt(draft.state.spec, 'rollback')) {
    if (!draft.state.hooks!.runs.some((r) => r.hook === h.name)) ask(draft, h.name, 'rollback', draft.state.stepIndex);
  }
  if (holdFor(draft, 'confirm-rollout', 0) || holdFor(draft, 'pre-rollout', 0)) return;
  enterStep(draft);
}

/**
 * In settle(): when the walk is held, go on if the hooks have passed since,
 * else keep waiting. True when the walk was held (the caller does no more).
 */
export function continueHeld(draft: Draft): boolean {
  const hooks = draft.state.hooks;
  const held = hooks?.holding;
  if (!hooks || !held) return false;
  if (!hooksPassed(draft, held.phase, held.step)) {
    draft.state.message = holdingMessage(draft.state);
    return true;
  }
  delete hooks.holding;
  if (held.phase === 'confirm-traffic-increase' || held.phase === 'rollout') enterStep(draft);
  else if (held.phase === 'confirm-promotion') finishSteps(draft);
  else beginSteps(draft);
  return true;
}

/** A user's promote passes a held gate; the event names who. */
export function overrideHold(draft: Draft, actor: string): boolean {
  const hooks = draft.state.hooks;
  const held = hooks?.holding;
  if (!hooks || !held) return false;
  for (const h of hooksAt(draft.state.spec, held.phase)) hooks.passed.push(passKey(held.phase, held.step, h.name));
  hooks.runs = hooks.runs.filter((r) => !(r.phase === held.phase && r.step === held.step));
  emit(draft, {
    type: 'hook',
    message: `${actor} promoted past the ${held.phase} hooks at ${stepLabel(draft.state)} without waiting for them`,
    actor,
    data: { phase: held.phase, ...stepNumbers(held.step, draft.state.spec.steps.length), override: true },
  });
  return true;
}

/**
 * A full promotion passes every gate still ahead; the events say so: a held
 * gate as a promote past it does, and confirm-promotion hooks not asked yet.
 */
export function overrideGatesAhead(draft: Draft, actor: string): void {
  const { state } = draft;
  const held = state.hooks?.holding?.phase;
  if (held) overrideHold(draft, actor);
  const ahead = hooksAt(state.spec, 'confirm-promotion');
  const step = state.spec.steps.length;
  if (held === 'confirm-promotion' || ahead.length === 0 || ahead.every((h) => state.hooks?.passed.includes(passKey('confirm-promotion', step, h.name)))) return;
  emit(draft, {
    type: 'hook',
    message: `${actor} promoted without asking the confirm-promotion hooks (${ahead.map((h) => h.name).join(', ')})`,
    actor,
    data: { phase: 'confirm-promotion', ...stepNumbers(step, step), override: true },
  });
}

/** After a weight change to a new weight above 0: run the rollout hooks (smoke tests, load) at it. */
export function askRolloutHooks(draft: Draft): void {
  const { state } = draft;
  if (!state.hooks || !canaryServes(state)) return;
  for (const h of hooksAt(state.spec, 'rollout')) ask(draft, h.name, 'rollout', state.stepIndex);
}

/** Before raising the weight again: hold while the rollout hooks of the current weight have not passed. */
export function holdForRolloutHooks(draft: Draft): boolean {
  const run = draft.state.hooks?.runs.find((r) => r.phase === 'rollout');
  return run !== undefined && holdFor(draft, 'rollout', run.step);
}

/** Whether rollout hooks are still running or due again: the step may not end until they pass. */
export function rolloutHooksPending(state: RolloutState): boolean {
  return state.hooks?.runs.some((r) => r.phase === 'rollout') ?? false;
}

/** The rollout ended: outstanding runs are dropped, post-rollout hooks run. */
export function endHooks(draft: Draft): void {
  const hooks = draft.state.hooks;
  if (!hooks) return;
  hooks.runs = [];
  delete hooks.holding;
  for (const h of hooksAt(draft.state.spec, 'post-rollout')) ask(draft, h.name, 'post-rollout', draft.state.stepIndex);
}

/** Runs whose poll time has come are started again (on every input; pure). */
export function launchDueHooks(draft: Draft): void {
  const hooks = draft.state.hooks;
  if (!hooks) return;
  for (const run of hooks.runs) if (!run.running && run.due <= draft.now) launch(draft, run);
}

/** Take one hook result: record it, then act as its phase says. */
export function takeHookResult(draft: Draft, result: HookResult): Rejection | undefined {
  const { state, now } = draft;
  const hooks = state.hooks;
  if (!hooks) return { code: UNEXPECTED_CHECK, message: `rollout ${state.name} has no hooks; ignoring a hook result` };
  const run = hooks.runs.find((r) => r.id === result.id);
  if (!run) return { code: STALE_HOOK, message: `hook run ${result.id} of rollout ${state.name} is not outstanding (answered already, or from an earlier start); ignored` };
  const repeated = run.last !== undefined && run.last.ok === result.ok && run.last.status === result.status;
  run.polls += 1;
  run.running = false;
  run.last = { ok: result.ok, ...(result.status === undefined ? {} : { status: result.status }), message: result.message };
  const retryAt = now + pollInterval(state);
  const sentence = describeResult(run, result, retryAt - now);
  if (!repeated) {
    emit(draft, {
      type: 'hook',
      message: sentence,
      data: { hook: run.hook, phase: run.phase, ...stepNumbers(run.step, state.spec.steps.length), ok: result.ok, status: result.status ?? null, attempts: result.attempts, durationMs: result.durationMs, polls: run.polls, ...result.details },
    });
  }
  const done = () => (hooks.runs = hooks.runs.filter((r) => r !== run));
  const again = () => (run.due = retryAt);

  if (run.phase === 'rollback') {
    if (!result.ok) return void again();
    done();
    endOnStable(draft, 'rolled-back', `rolled back: the rollback hook ${run.hook} asked for it (${result.message})`, { data: { hook: run.hook, cause: 'hook' } });
    return undefined;
  }
  if (result.ok || run.phase === 'post-rollout') {
    done();
    if (result.ok) hooks.passed.push(passKey(run.phase, run.step, run.hook));
  } else if (run.phase === 'pre-rollout') {
    done();
    endOnStable(draft, 'rolled-back', `stopped before any user saw the canary: the pre-rollout hook ${run.hook} failed (${result.message})`, { data: { hook: run.hook, cause: 'hook' } });
    return undefined;
  } else if (run.phase === 'rollout') {
    state.analysis.failures += 1;
    const limit = state.spec.analysis?.failureLimit ?? 0;
    if (state.analysis.failures > limit) {
      done();
      endOnStable(draft, 'rolled-back', `rolled back: the rollout hook ${run.hook} failed at ${shareText(state)} (${result.message})`, { data: { hook: run.hook, cause: 'hook' } });
      return undefined;
    }
    again();
  } else {
    again();
  }
  if (state.phase === 'progressing') {
    settle(draft);
    if (!result.ok && state.phase === 'progressing' && !hooks.holding) state.message = `${state.message}; ${sentence}`;
  }
  return undefined;
}

function describeResult(run: HookRun, result: HookResult, pollMs: number): string {
  const what = `the ${run.phase} hook ${run.hook}`;
  const tries = result.attempts > 1 ? ` after ${result.attempts} attempts` : '';
  if (run.phase === 'rollback') {
    return result.ok ? `${what} asked for a rollback: ${result.message}` : `${what} does not ask for a rollback (${result.message}); asking again every ${formatDuration(pollMs)}`;
  }
  if (result.ok) return `${what} passed: ${result.message}`;
  if ((GATE_PHASES as readonly string[]).includes(run.phase)) return `${what} is closed${tries}: ${result.message}; asking again every ${formatDuration(pollMs)}`;
  if (run.phase === 'rollout') return `${what} failed${tries}: ${result.message}; counted as a failed check`;
  return `${what} failed${tries}: ${result.message}`;
}
