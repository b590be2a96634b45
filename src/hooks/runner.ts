import type { HookPhase, HookSpec } from '../spec/lifecycle-types.js';

/**
 * Runs one hook of a rollout. Implementations never throw: every outcome,
 * including a timeout or an unreachable receiver, is a HookOutcome.
 */
export interface HookRunner {
  readonly type: string;
  run(request: HookRequest, signal: AbortSignal): Promise<HookOutcome>;
}

/** What a hook run is about; webhooks send most of it as their payload. */
export interface HookRequest {
  rollout: string;
  revision: number;
  /** The run's id, sent as X-Sluice-Hook-Run so receivers can spot a re-run after a restart. */
  runId: string;
  hook: HookSpec;
  phase: HookPhase;
  /** The rollout's phase and where it stands when the hook is asked. */
  rolloutPhase: string;
  /** 1-based, as `sluice status` shows it ("step 2/4"; capped at the last step). */
  step: number;
  steps: number;
  /** Index into spec.steps (0-based; the step count once all are done). */
  stepIndex: number;
  canaryWeight: number;
}

export interface HookOutcome {
  ok: boolean;
  /** HTTP status of the last attempt, when there was an answer. */
  status?: number;
  message: string;
  attempts: number;
  durationMs: number;
  details?: Record<string, unknown>;
  /** The run was cancelled (the controller stopped, or the rollout moved on): no result to report. */
  cancelled?: boolean;
}

/** The JSON a webhook receives (Flagger's payload: name, phase, metadata; plus where the rollout stands). */
export interface HookPayload {
  name: string;
  phase: HookPhase;
  hook: string;
  revision: number;
  /** 1-based, as `sluice status` shows it; `stepIndex` is the 0-based index into spec.steps. */
  step: number;
  steps: number;
  stepIndex: number;
  canaryWeight: number;
  rolloutPhase: string;
  metadata: Record<string, string>;
}

export function hookPayload(req: HookRequest): HookPayload {
  return {
    name: req.rollout,
    phase: req.phase,
    hook: req.hook.name,
    revision: req.revision,
    step: req.step,
    steps: req.steps,
    stepIndex: req.stepIndex,
    canaryWeight: req.canaryWeight,
    rolloutPhase: req.rolloutPhase,
    metadata: { ...req.hook.metadata },
  };
}
