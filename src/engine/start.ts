import type { RolloutSpec } from '../spec/types.js';
import type { RolloutState } from './types.js';
import type { Draft } from './draft.js';
import { changeRoutes, emit, splitRoutes } from './draft.js';
import { formatDuration } from './describe.js';
import { beginSteps, freshHooks } from './hooks.js';
import { freshJudge } from './judge.js';

/** A rollout before its first step: progressing, no canary traffic, counters at zero. */
export function freshState(name: string, revision: number, spec: RolloutSpec, now: number): RolloutState {
  const judge = freshJudge(spec, now);
  const hooks = freshHooks(spec);
  return {
    name,
    revision,
    spec,
    phase: 'progressing',
    stepIndex: 0,
    stepStartedAt: now,
    canaryWeight: 0,
    routes: splitRoutes(spec, 0),
    analysis: {
      failures: 0,
      inconclusiveInARow: 0,
      passesThisStep: 0,
      checks: 0,
      windowStart: now,
      nextCheckAt: now + (spec.analysis?.interval ?? 0),
      pending: false,
    },
    startedAt: now,
    message: '',
    ...(judge ? { judge } : {}),
    ...(hooks ? { hooks } : {}),
  };
}

/**
 * (Re)start the draft's revision from step 0: the `started` event (or, given
 * who retried, `retried`), the initial routes with no canary traffic, then
 * whatever entering the first steps does.
 */
export function start(draft: Draft, retriedBy?: string): void {
  const { name, revision, spec } = draft.state;
  draft.state = freshState(name, revision, spec, draft.now);
  const analysis = spec.analysis ? `analysis every ${formatDuration(spec.analysis.interval)}` : 'no analysis';
  const plan = `${spec.steps.length} step${spec.steps.length === 1 ? '' : 's'}, ${analysis}`;
  const message =
    retriedBy === undefined
      ? `started revision ${revision} of ${name}: ${plan}`
      : `${retriedBy} retried revision ${revision} of ${name} from step 1: ${plan}`;
  draft.state.message = message;
  emit(draft, {
    type: retriedBy === undefined ? 'started' : 'retried',
    message,
    ...(retriedBy === undefined ? {} : { actor: retriedBy }),
    data: { revision, steps: spec.steps.length },
  });
  changeRoutes(draft, splitRoutes(spec, 0));
  beginSteps(draft);
}
