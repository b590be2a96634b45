import { flagWording, TRAFFIC_WORDING, type Wording } from '../analysis/wording.js';
import type { CheckResult } from '../analysis/types.js';
import { hookPhaseOf } from '../spec/lifecycle-types.js';
import type { RolloutState } from './types.js';

// The human sentences the engine puts in `state.message` and in events.

/** "500ms", "30s", "1.5s", "2m", "1h30m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}

/**
 * Where a rollout stands in its steps, as event data, hook bodies and
 * notifications carry it: `stepIndex` indexes spec.steps (0-based; the step
 * count once all are done), `step` is the 1-based number people see in
 * "step 3/6" (capped at the last step), `steps` the count.
 */
export function stepNumbers(stepIndex: number, steps: number): { stepIndex: number; step: number; steps: number } {
  return { stepIndex, step: Math.min(stepIndex + 1, steps), steps };
}

/** "step 3/6" (1-based; capped at the last step once all are done). */
export function stepLabel(state: RolloutState): string {
  const n = state.spec.steps.length;
  return `step ${Math.min(state.stepIndex + 1, n)}/${n}`;
}

/** "10% canary"; for a guarded flag rollout "10% of users on \"on\"" (the variant being rolled out). */
export function shareText(state: RolloutState, percent: number = state.canaryWeight): string {
  const flag = state.spec.flag;
  return flag ? `${percent}% of users on "${flag.variant}"` : `${percent}% canary`;
}

/** What the two sides are called in check and judge sentences (analysis/wording.ts). */
export function wordingOf(state: RolloutState): Wording {
  return state.spec.flag ? flagWording(state.spec.flag.variant) : TRAFFIC_WORDING;
}

/** Where an ended rollout leaves its users: "all traffic is back on stable", or for a flag, nobody on the new variant. */
export function backToStableText(state: RolloutState): string {
  const flag = state.spec.flag;
  return flag ? `no user gets "${flag.variant}" from this rollout any more` : 'all traffic is back on stable';
}

/** "10% canary", plus what else reaches the canary: "0% canary + matched requests", "10% canary + 50% mirrored". */
function weight(state: RolloutState): string {
  const preview = state.spec.blueGreen?.previewHeader;
  const matched = state.routes.preview
    ? ` (preview on ${state.routes.preview.listen})`
    : (state.routes.match?.length ?? 0) === 0 ? '' : preview ? ` (preview: requests with ${preview.name}: ${preview.value})` : ' + matched requests';
  const mirrored = state.routes.mirror ? ` + ${state.routes.mirror.percent}% mirrored` : '';
  return `${shareText(state)}${matched}${mirrored}`;
}

/** What a progressing rollout is waiting for in its current step (hooks holding the walk come first). */
export function waitingMessage(state: RolloutState, now: number): string {
  if (state.hooks?.holding) return holdingMessage(state);
  const step = state.spec.steps[state.stepIndex];
  const label = stepLabel(state);
  if (step === undefined) {
    return `all ${state.spec.steps.length} steps done at ${weight(state)}: promoting after ${evidence(state, true)}`;
  }
  if ('pause' in step && step.pause.duration !== undefined) {
    const duration = formatDuration(step.pause.duration);
    if (now - state.stepStartedAt < step.pause.duration) return `${label}: waiting ${duration} at ${weight(state)}`;
    return `${label}: waited ${duration} at ${weight(state)}; moving on after ${evidence(state, false)}`;
  }
  if ('analysis' in step) {
    const needed = step.analysis.checks;
    const passes = state.analysis.passesThisStep;
    // Inconclusive checks neither count nor break the run; a failed one starts it again.
    if (passes === 0) {
      return `${label}: waiting for ${needed} passing check${needed === 1 ? '' : 's'} at ${weight(state)}`;
    }
    return `${label}: ${passes} of ${needed} checks passed at ${weight(state)}`;
  }
  if ('pause' in step) return pausedMessage(state);
  return state.spec.flag ? `${label}: ${shareText(state)}` : `${label}: canary weight ${state.canaryWeight}%`;
}

/** What a step still needs before it may end: passing checks, the judge's evidence, or both. */
function evidence(state: RolloutState, last: boolean): string {
  const checks = (state.spec.analysis?.metrics.length ?? 0) > 0 ? 'the next passing check' : '';
  const judge = state.spec.analysis?.judge;
  const judged = !judge ? '' : last ? "the sequential judge's pass" : `the judge's pass or ${judge.minStepEvents} errors seen at this weight`;
  return [checks, judged].filter(Boolean).join(' and ') || 'the next tick';
}

/** What a held walk is waiting for. */
export function holdingMessage(state: RolloutState): string {
  const held = state.hooks?.holding;
  if (!held) return state.message;
  const names = (state.spec.hooks ?? []).filter((h) => hookPhaseOf(h.type) === held.phase).map((h) => h.name);
  const outstanding = state.hooks!.runs.filter((r) => r.phase === held.phase && r.step === held.step);
  const last = outstanding.find((r) => r.last && !r.last.ok)?.last;
  const where = held.phase === 'confirm-promotion'
    ? 'before promotion'
    : held.phase === 'confirm-traffic-increase' || held.phase === 'rollout'
      ? `before raising the canary's weight at ${stepLabel(state)}`
      : 'before the canary gets any traffic';
  const answer = last ? ` (last answer: ${last.message})` : '';
  return `waiting for the ${held.phase} hook${names.length === 1 ? '' : 's'} ${names.join(', ')} ${where}, at ${shareText(state)}${answer}`;
}

/** Why a paused rollout is paused and what to do about it. */
export function pausedMessage(state: RolloutState, actor?: string): string {
  const label = stepLabel(state);
  switch (state.pauseReason) {
    case 'user':
      return `${label}: paused by ${actor ?? 'a user'} at ${weight(state)}; resume to continue, abort to roll back`;
    case 'inconclusive': {
      const n = state.analysis.inconclusiveInARow;
      const why = state.lastCheck === undefined ? '' : ` (${reasonsOf(state.lastCheck)})`;
      return `${label}: paused at ${weight(state)} after ${n} inconclusive checks in a row${why}; promote to continue, abort to roll back`;
    }
    default:
      return `${label}: paused at ${weight(state)} at a manual gate; promote to continue, abort to roll back`;
  }
}

/** The reasons of the metrics that decided a check's verdict. */
export function reasonsOf(result: CheckResult): string {
  // Dry-run metrics are recorded in the check, never quoted as deciding it.
  const deciding = result.metrics.filter((m) => m.verdict === result.verdict && !m.dryRun).map((m) => m.reason);
  return deciding.length > 0 ? deciding.join('; ') : result.summary;
}

/** A note on a failed or inconclusive check that the rollout tolerated. */
export function toleratedNote(state: RolloutState, result: CheckResult): string {
  const analysis = state.spec.analysis;
  if (result.verdict === 'fail') {
    const limit = analysis?.failureLimit ?? 0;
    return `check failed (${state.analysis.failures} of ${limit} failures tolerated): ${reasonsOf(result)}`;
  }
  const limit = analysis?.inconclusiveLimit ?? 0;
  return `check inconclusive (${state.analysis.inconclusiveInARow} in a row, ${limit} tolerated): ${reasonsOf(result)}`;
}

/** The rollback sentence, quoting the failing metrics. */
export function rollbackMessage(state: RolloutState, result: CheckResult): string {
  if (result.verdict === 'fail') return `rolled back: ${reasonsOf(result)}`;
  const limit = state.spec.analysis?.inconclusiveLimit ?? 0;
  const n = state.analysis.inconclusiveInARow;
  return `rolled back: ${n} inconclusive checks in a row (${limit} tolerated): ${reasonsOf(result)}`;
}
