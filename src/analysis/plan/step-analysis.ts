import type { RolloutSpec } from '../../spec/types.js';
import { judgeDetection } from './judge-power.js';
import { judgedOnCopiesOnly } from './metrics.js';
import { thresholdDetection } from './threshold-power.js';
import type { JudgeDetection, PlanInputs, Stage, StagePlan, ThresholdDetection } from './types.js';

/** The traffic figures a per-stage analysis needs. */
export type StageInputs = Pick<PlanInputs, 'rps' | 'errorRate' | 'regression' | 'power'>;

/**
 * What each stage costs and detects at the planned traffic, judged in isolation: the
 * stage's own checks (or judge evidence) from zero, at its weight, for its duration.
 * Flags say when a stage cannot decide at all (too little traffic), is shorter than
 * detection needs, or can never see the regression.
 */
export function analyseStage(spec: RolloutSpec, stage: Stage, inputs: StageInputs): StagePlan {
  const healthy = inputs.errorRate;
  const regressed = Math.min(1, inputs.errorRate * inputs.regression);
  const judgeSpec = spec.analysis?.judge;
  // Without its pass, the judge holds each wait step until it saw minStepEvents errors, up to maxWait past the step.
  const forEvents = judgeSpec === undefined || judgeSpec.minStepEvents === 0 ? 0 : judgeSpec.minStepEvents / (inputs.rps * healthy);
  const seconds =
    judgeSpec === undefined || stage.weight === 0
      ? stage.minSeconds
      : stage.waits.reduce((sum, w) => sum + Math.min(Math.max(w, forEvents), w + judgeSpec.maxWait / 1000), 0);
  const thresholds = detectWithThresholds(spec, stage.weight, inputs, stageSeconds(stage));
  const judge = detectWithJudge(spec, stage.weight, inputs, stage.gate && stage.minSeconds === 0 ? undefined : seconds);
  const canaryRequests = inputs.rps * (stage.weight / 100) * seconds;
  const plan: StagePlan = {
    ...stage,
    steps: [...stage.steps],
    seconds,
    canaryRequests,
    canaryErrors: { healthy: canaryRequests * healthy, regressed: canaryRequests * regressed },
    flags: [],
  };
  if (thresholds !== undefined) plan.thresholds = thresholds;
  if (judge !== undefined) plan.judge = judge;
  const candidates = [
    ...(thresholds?.seconds === undefined ? [] : [{ seconds: thresholds.seconds, by: 'thresholds' as const }]),
    ...(judge?.seconds === undefined ? [] : [{ seconds: judge.seconds, by: 'judge' as const }]),
  ].sort((a, b) => a.seconds - b.seconds);
  if (candidates.length > 0) plan.needed = candidates[0];
  if (stage.weight === 0 || spec.analysis === undefined) return plan;
  if (judgedOnCopiesOnly(spec.analysis)) plan.flags.push('not-modelled');
  else if (tooLittleTraffic(spec, plan, inputs)) plan.flags.push('too-low-traffic');
  else if (plan.needed === undefined) plan.flags.push('undetectable');
  else if (!stage.gate && plan.needed.seconds > plan.seconds) plan.flags.push('too-short');
  return plan;
}

/** Seconds detection is measured over: the stage's minimum, or none for a bare manual gate. */
function stageSeconds(stage: Stage): number | undefined {
  return stage.gate && stage.minSeconds === 0 ? undefined : stage.minSeconds;
}

export function detectWithThresholds(
  spec: RolloutSpec,
  weight: number,
  inputs: StageInputs,
  stageSeconds: number | undefined,
): ThresholdDetection | undefined {
  const { analysis } = spec;
  // Threshold checks run only when metrics are configured (engine/draft.ts isWatched).
  if (analysis === undefined || (analysis.metrics ?? []).length === 0 || weight === 0) return undefined;
  return thresholdDetection({
    analysis,
    rps: inputs.rps,
    weight,
    healthyRate: inputs.errorRate,
    regressedRate: Math.min(1, inputs.errorRate * inputs.regression),
    power: inputs.power,
    ...(stageSeconds === undefined ? {} : { stageSeconds }),
  });
}

export function detectWithJudge(
  spec: RolloutSpec,
  weight: number,
  inputs: StageInputs,
  stageSeconds: number | undefined,
): JudgeDetection | undefined {
  const judge = spec.analysis?.judge;
  if (judge === undefined || weight === 0) return undefined;
  return judgeDetection({
    judge: { alpha: judge.alpha, minEffect: judge.minEffect, tolerance: judge.tolerance },
    minStepEvents: judge.minStepEvents,
    rps: inputs.rps,
    weight,
    healthyRate: inputs.errorRate,
    regressedRate: Math.min(1, inputs.errorRate * inputs.regression),
    power: inputs.power,
    ...(stageSeconds === undefined ? {} : { stageSeconds }),
  });
}

/**
 * Too little traffic to ever decide: most check windows have fewer than minRequests canary
 * requests (so checks are inconclusive and the step cannot pass), or a wait step of the stage
 * cannot expect minStepEvents errors within its duration and maxWait (so the judge holds it).
 */
export function tooLittleTraffic(spec: RolloutSpec, plan: StagePlan, inputs: StageInputs): boolean {
  if (plan.thresholds !== undefined && plan.thresholds.conclusive < 0.5) return true;
  const judge = spec.analysis?.judge;
  if (judge === undefined || plan.judge === undefined || plan.waits.length === 0) return false;
  return inputs.rps * inputs.errorRate * (Math.min(...plan.waits) + judge.maxWait / 1000) < judge.minStepEvents;
}
