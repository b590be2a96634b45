import type { RolloutSpec } from '../../spec/types.js';
import type { Stage } from './types.js';

/**
 * Groups a rollout's steps by canary weight: each `setWeight` opens a stage, and the
 * pauses, manual gates and analysis steps after it are what the stage waits for.
 * Steps before the first `setWeight` form a stage at weight 0 (no canary traffic).
 * A stage lasts at least its pauses plus one check interval per required passing
 * check (threshold checks run only when metrics are configured and the canary has
 * traffic, as in the engine).
 */
export function rolloutStages(spec: RolloutSpec): Stage[] {
  const interval = (spec.analysis?.interval ?? 0) / 1000;
  const checked = (spec.analysis?.metrics ?? []).length > 0;
  const stages: Stage[] = [];
  let current: Stage | undefined;
  spec.steps.forEach((step, i) => {
    const number = i + 1;
    if ('setWeight' in step) {
      if (current !== undefined && current.weight === step.setWeight) {
        current.steps.push(number);
        return;
      }
      current = { steps: [number], weight: step.setWeight, pauseSeconds: 0, checks: 0, gate: false, minSeconds: 0, waits: [] };
      stages.push(current);
      return;
    }
    if (current === undefined) {
      current = { steps: [], weight: 0, pauseSeconds: 0, checks: 0, gate: false, minSeconds: 0, waits: [] };
      stages.push(current);
    }
    current.steps.push(number);
    const watched = checked && current.weight > 0;
    if ('pause' in step) {
      if (step.pause.duration === undefined) current.gate = true;
      else {
        current.pauseSeconds += step.pause.duration / 1000;
        current.waits.push(step.pause.duration / 1000);
      }
    } else {
      current.checks += step.analysis.checks;
      current.waits.push(watched ? step.analysis.checks * interval : 0);
    }
    current.minSeconds = current.waits.reduce((a, b) => a + b, 0);
  });
  return stages;
}

/** "step 3" or "steps 3–4": the spec steps a stage covers. */
export function stageLabel(stage: Stage): string {
  const { steps } = stage;
  if (steps.length === 0) return 'before step 1';
  if (steps.length === 1) return `step ${steps[0]}`;
  return `steps ${steps[0]}–${steps[steps.length - 1]}`;
}
