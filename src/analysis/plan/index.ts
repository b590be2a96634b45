/** `sluice plan`: per-step detection times, exposure and a seeded simulation of a rollout at given traffic. */
export { parsePlanFlags, PLAN_DEFAULTS, type PlanFlags } from './flags.js';
export { planRollout, MAX_RUNS } from './plan.js';
export { renderPlan } from './render-text.js';
export { rolloutFilePolicy, FILE_POLICY } from './file-policy.js';
export { rolloutStages } from './stages.js';
export { analyseStage } from './step-analysis.js';
export { thresholdDetection } from './threshold-power.js';
export { judgeDetection } from './judge-power.js';
export { simulatePlan } from './simulate-plan.js';
export * from './types.js';
