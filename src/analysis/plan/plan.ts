import type { Rollout } from '../../spec/types.js';
import { factor, stageWarnings } from './advice.js';
import { describeAnalysis, unmodelledMetrics } from './describe.js';
import { percent } from './format.js';
import { simulatePlan } from './simulate-plan.js';
import { rolloutStages } from './stages.js';
import { analyseStage } from './step-analysis.js';
import { PlanError } from './types.js';
import type { PlanInputs, PlanReport, PlanWarning, PolicySummary } from './types.js';

/** Largest number of simulated runs per case and policy. */
export const MAX_RUNS = 100_000;

/**
 * Plans a rollout at the traffic a user expects: per stage, what it costs and how long it
 * must last to detect the regression; then a seeded simulation of the whole rollout (and of
 * the compared tools' defaults) for a healthy and a regressed canary; then warnings that say
 * what to change. Throws PlanError on out-of-range inputs or a rollout without canary traffic.
 * `now` (milliseconds) only times the simulation for the report.
 */
export function planRollout(rollout: Rollout, inputs: PlanInputs, now: () => number = () => performance.now()): PlanReport {
  checkInputs(inputs);
  const { spec } = rollout;
  const stages = rolloutStages(spec);
  if (!stages.some((s) => s.weight > 0)) {
    throw new PlanError('SLUICE_PLAN_ROLLOUT', `rollout "${rollout.metadata.name}" never sends traffic to the canary: add a setWeight step above 0`);
  }
  const plans = stages.map((stage) => analyseStage(spec, stage, inputs));
  const started = now();
  const policies = simulatePlan(rollout.metadata.name, spec, inputs);
  const seconds = (now() - started) / 1000;
  return {
    rollout: rollout.metadata.name,
    inputs: { ...inputs, compare: [...inputs.compare] },
    analysis: describeAnalysis(spec),
    stages: plans,
    simulation: { runs: inputs.runs, seed: inputs.seed, seconds, policies },
    warnings: [...stageWarnings(spec, plans, inputs), ...rolloutWarnings(rollout, inputs, policies[0])],
  };
}

/** Warnings about the whole rollout, from its spec and its simulated figures. */
function rolloutWarnings(rollout: Rollout, inputs: PlanInputs, file: PolicySummary): PlanWarning[] {
  const { spec } = rollout;
  const warnings: PlanWarning[] = [];
  if (spec.analysis === undefined) {
    warnings.push({
      flag: 'undetectable',
      message: 'no analysis: nothing watches the canary and every rollout is promoted, regressed or not; add `analysis` with a judge or threshold checks',
    });
  }
  const unmodelled = unmodelledMetrics(spec);
  if (unmodelled.length > 0) {
    warnings.push({ flag: 'not-modelled', message: `${unmodelled.join(', ')}: taken to pass; the plan models errors, not latency` });
  }
  const falseRollbacks = file.healthy.rollbackRate;
  if (spec.analysis !== undefined && falseRollbacks > 0.02) {
    const fix = spec.analysis.judge === undefined
      ? 'raise failureLimit or minRequests, lengthen analysis.interval, or judge with the sequential test (analysis.judge), whose alpha bounds false rollbacks'
      : 'lower analysis.judge.alpha, or loosen the threshold checks (failureLimit, minRequests, interval)';
    warnings.push({
      flag: 'false-rollbacks',
      message: `a healthy canary (${percent(inputs.errorRate)} errors, like stable) is rolled back in ${percent(falseRollbacks)} of simulated rollouts: ${fix}`,
    });
  }
  const missed = file.regressed.promoteRate;
  if (spec.analysis !== undefined && missed > 1 - inputs.power) {
    warnings.push({
      flag: 'missed-regressions',
      message: `a ${factor(inputs.regression)} regression is promoted in ${percent(missed)} of simulated rollouts ` +
        `(at most ${percent(1 - inputs.power)} wanted at power ${percent(inputs.power)}): lengthen the steps flagged above or raise their weights`,
    });
  }
  if (file.healthy.holdRate > 0.05) {
    warnings.push({
      flag: 'holds',
      message: `a healthy canary is held for a person in ${percent(file.healthy.holdRate)} of simulated rollouts ` +
        '(inconclusive checks or too little evidence for the judge): see the traffic warnings above',
    });
  }
  return warnings;
}

function checkInputs(i: PlanInputs): void {
  const bad = (message: string): never => {
    throw new PlanError('SLUICE_PLAN_FLAG', message);
  };
  if (!(Number.isFinite(i.rps) && i.rps > 0)) bad(`rps must be a number of requests per second above 0, got ${i.rps}`);
  if (!(i.errorRate > 0 && i.errorRate <= 1)) bad(`errorRate must be within (0, 1], got ${i.errorRate}`);
  if (!(Number.isFinite(i.regression) && i.regression > 1)) bad(`regression must be a factor above 1, got ${i.regression}`);
  if (i.errorRate * i.regression > 1) {
    bad(`a ${factor(i.regression)} regression of a ${percent(i.errorRate)} error rate exceeds 100%; plan a smaller regression`);
  }
  if (!(i.power > 0 && i.power < 1)) bad(`power must be within (0, 1), got ${i.power}`);
  if (!(Number.isInteger(i.runs) && i.runs >= 1 && i.runs <= MAX_RUNS)) bad(`runs must be a whole number from 1 to ${MAX_RUNS}, got ${i.runs}`);
  if (!Number.isInteger(i.seed)) bad(`seed must be a whole number, got ${i.seed}`);
}
