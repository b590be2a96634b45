import type { GatePhase, HookPhase, NotifyEvent } from '../spec/lifecycle-types.js';
import type { EventDraft } from './types.js';

export type { EventDraft };

/**
 * One asked-for run of one hook. The state holds it from the moment it is
 * asked for until its result comes back, so a restarted controller runs
 * every hook that is still outstanding (intent before effect).
 */
export interface HookRun {
  /** Unique across starts of the revision: results carry it back. */
  id: string;
  /** The hook's name in spec.hooks. */
  hook: string;
  phase: HookPhase;
  /** Index into spec.steps of the step it belongs to (0 before the steps begin; the step count after them). */
  step: number;
  /** When to run it (ms): gates and rollback hooks are asked again at the poll interval. */
  due: number;
  /** A runHook action went out and no result has come back: the controller keeps it running. */
  running: boolean;
  /** Results so far (gates and rollback hooks poll). */
  polls: number;
  /** The latest answer, so repeated identical answers are not all recorded as events. */
  last?: { ok: boolean; status?: number; message: string };
}

/** Where the walk through the steps waits for hooks, and what they have passed. */
export interface HooksState {
  runs: HookRun[];
  /** `${phase}@${step}/${hook}` of every hook that succeeded in this start. */
  passed: string[];
  /** Sequence for run ids. */
  seq: number;
  /** The walk is held until every hook of this phase has passed at this step. */
  holding?: { phase: HoldPhase; step: number; since: number };
}

/** Phases whose hooks can hold the walk: the gates, pre-rollout, and rollout hooks before the next weight increase. */
export type HoldPhase = GatePhase | 'pre-rollout' | 'rollout';

/** A hook's result as the controller feeds it back. */
export interface HookResult {
  /** The HookRun id. */
  id: string;
  ok: boolean;
  /** HTTP status of the last attempt, when there was an answer. */
  status?: number;
  /** One sentence: what was answered, or why it failed. */
  message: string;
  attempts: number;
  durationMs: number;
  /** Extra figures (a load hook's counts). */
  details?: Record<string, unknown>;
}

/** Something to tell people about; the controller formats and sends it to spec.notifications. */
export interface Notification {
  event: NotifyEvent;
  message: string;
  revision: number;
  phase: string;
  canaryWeight: number;
  /** Index into spec.steps (0-based), the 1-based step people see ("step 2/4", capped at the last), and the step count. */
  stepIndex: number;
  step: number;
  steps: number;
  /** Who caused it, when a person did. */
  actor?: string;
  /** The event's data (the check, the judge's counts, the hook, the reason). */
  data?: Record<string, unknown>;
  /** `paused` only: the state an approval may act on, for the approve link. */
  approve?: { startedAt: number; stepIndex: number };
}
