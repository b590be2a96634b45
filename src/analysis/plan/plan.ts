import type { Rollout } from '../../spec/types.js';
import { factor, stageWarnings } from './advice.js';
import { describeAnalysis, unmodelledNotes } from './describe.js';
import { judgedOnCopiesOnly, metricBounds, planMetrics } from './metrics.js';
import { count, duration, percent } from './format.js';
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
  const refusal = unweightedStrategy(rollout, inputs);
  if (refusal !== undefined) throw new PlanError('SLUICE_PLAN_ROLLOUT', refusal);
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

/**
 * Why an A/B test or a blue-green rollout cannot be planned, with what a check needs of the
 * traffic it does get: their canary's traffic is what match rules or the preview pick, a
 * share of the total the plan cannot know, and weighted steps are all it simulates.
 */
function unweightedStrategy(rollout: Rollout, inputs: PlanInputs): string | undefined {
  const { spec } = rollout;
  const name = rollout.metadata.name;
  const a = spec.analysis;
  const need = (what: string): string => {
    if (a === undefined) return '';
    const interval = a.interval / 1000;
    return `; each check needs minRequests ${a.minRequests} ${what} per ${duration(interval)} (~${rate(a.minRequests / interval)} rps, ` +
      `${percent(a.minRequests / interval / inputs.rps)} of your ${count(inputs.rps)} rps), else it is inconclusive`;
  };
  if (spec.abTest !== undefined) {
    return `rollout "${name}" is an A/B test, and plan simulates weighted canary steps only: its canary gets just the requests its match rules pick, ` +
      `a share plan cannot know${need('matched requests')}; to plan it, copy the file as a canary with a setWeight of the matched share ` +
      `followed by analysis: {checks: ${spec.abTest.iterations}}`;
  }
  if (spec.blueGreen !== undefined) {
    const preview = spec.blueGreen.previewHeader !== undefined ? `requests with ${spec.blueGreen.previewHeader.name}: ${spec.blueGreen.previewHeader.value}` : `requests to ${spec.blueGreen.previewListen}`;
    const after = spec.postPromotion === undefined ? '' : `, and after the switch its postPromotionAnalysis judges all ${count(inputs.rps)} rps with no stable to compare`;
    return `rollout "${name}" is blue-green, and plan simulates weighted canary steps only: before the switch the new version gets just its preview ` +
      `(${preview}), whose traffic is all its pre-promotion checks see${need('preview requests')}${after}; ` +
      'make sure the preview gets that traffic (a load hook or smoke tests), or plan the same service as a canary with setWeight steps';
  }
  return undefined;
}

function rate(x: number): string {
  return `${Number(x.toPrecision(2))}`;
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
  for (const message of unmodelledNotes(spec, inputs.rps)) warnings.push({ flag: 'not-modelled', message });
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
  if (spec.analysis !== undefined && missed > 1 - inputs.power && judgedOnCopiesOnly(spec.analysis)) {
    // Longer steps cannot help: nothing the plan models judges errors, and only copies are judged at all.
    warnings.push({
      flag: 'missed-regressions',
      message: `a ${factor(inputs.regression)} regression is promoted in ${percent(missed)} of simulated rollouts, which take ` +
        `${planMetrics(spec.analysis.metrics).mirrorRates.map(metricBounds).join(', ')} to pass: nothing judges the errors of the requests the canary serves; ` +
        'add a success-rate check or the judge (analysis.judge) to catch a regression in served traffic',
    });
  } else if (spec.analysis !== undefined && missed > 1 - inputs.power) {
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
