import type { RolloutSpec } from '../../spec/types.js';
import { count, duration, percent, roundUpSeconds } from './format.js';
import { stageLabel } from './stages.js';
import { detectWithJudge, detectWithThresholds } from './step-analysis.js';
import type { StageInputs } from './step-analysis.js';
import type { PlanWarning, StagePlan } from './types.js';

/** Weights tried when looking for one at which a stage is long enough. */
const CANDIDATE_WEIGHTS = [2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100];

/**
 * One warning per flagged stage (and per bare manual gate), each saying what to change;
 * stages that would get the very same advice share one warning.
 */
export function stageWarnings(spec: RolloutSpec, plans: readonly StagePlan[], inputs: StageInputs): PlanWarning[] {
  const found: Array<{ stage: number; flag: PlanWarning['flag']; text: string }> = [];
  const goal = `detecting a ${factor(inputs.regression)} regression with ${percent(inputs.power)} power`;
  plans.forEach((plan, i) => {
    const stage = i + 1;
    if (plan.flags.includes('too-low-traffic')) {
      found.push({ stage, flag: 'too-low-traffic', text: `traffic too low to ever decide at this weight: ${lowTraffic(spec, plan, inputs)}` });
    } else if (plan.flags.includes('undetectable')) {
      const whys = [plan.thresholds?.why, plan.judge?.why].filter((w): w is string => w !== undefined);
      found.push({ stage, flag: 'undetectable', text: `cannot detect the regression at this weight: ${whys.join('; ')}` });
    } else if (plan.flags.includes('too-short') && plan.needed !== undefined) {
      const { seconds, by } = plan.needed;
      const inStep = (by === 'judge' ? plan.judge : plan.thresholds)?.powerInStep;
      const now = inStep === undefined ? '' : ` (it lasts ${duration(plan.seconds)}: ${percent(inStep)} chance)`;
      found.push({
        stage,
        flag: 'too-short',
        text: `too short: ${goal} needs ~${duration(seconds)} at this weight by the ${by === 'judge' ? 'judge' : 'threshold checks'}${now}; ` +
          `${lengthen(spec, plan, seconds)}${weightAdvice(spec, plan, inputs)}`,
      });
    } else if (plan.gate && plan.needed !== undefined && plan.needed.seconds > plan.seconds && plan.weight > 0) {
      found.push({
        stage,
        flag: 'gate',
        text: `waits for a person: promote no sooner than ~${duration(roundUpSeconds(plan.needed.seconds))} after the weight change, the time ${goal} needs at this weight`,
      });
    }
  });
  const groups = new Map<string, { flag: PlanWarning['flag']; text: string; stages: number[] }>();
  for (const f of found) {
    const key = `${f.flag}\n${f.text}`;
    const group = groups.get(key) ?? { flag: f.flag, text: f.text, stages: [] };
    group.stages.push(f.stage);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => {
    const stages = g.stages.map((n) => plans[n - 1]);
    const where = stages.length === 1
      ? `${stageLabel(stages[0])} (${stages[0].weight}%)`
      : `steps ${stages.map((s) => stageLabel(s).replace(/^(steps?|before) /, '')).join(', ')} (${stages.map((s) => s.weight).join('/')}%)`;
    return { stages: g.stages, flag: g.flag, message: g.flag === 'gate' ? `${where} ${g.text}` : `${where}: ${g.text}` };
  });
}

function lowTraffic(spec: RolloutSpec, plan: StagePlan, inputs: StageInputs): string {
  const analysis = spec.analysis!;
  const t = plan.thresholds;
  if (t !== undefined && t.conclusive < 0.5) {
    const interval = analysis.interval / 1000;
    const onInconclusive = spec.onInconclusive === 'rollback' ? 'rolls back' : 'pauses';
    const weight = Math.ceil((100 * analysis.minRequests) / (inputs.rps * interval));
    const longer = roundUpSeconds(analysis.minRequests / (inputs.rps * (plan.weight / 100)));
    const fixes = [
      ...(weight <= 100 ? [`raise the weight to at least ${weight}%`] : []),
      `raise analysis.interval to at least ${duration(longer)}`,
      `lower minRequests to ${Math.max(1, Math.floor(t.requestsPerCheck))}`,
    ];
    return `~${count(t.requestsPerCheck)} canary requests per ${duration(interval)} check, fewer than minRequests ${analysis.minRequests}, ` +
      `so checks are inconclusive and the rollout ${onInconclusive} after ${analysis.inconclusiveLimit + 1} of them; ${orList(fixes)}`;
  }
  const judge = analysis.judge!;
  const wait = Math.min(...plan.waits) + judge.maxWait / 1000;
  const expected = inputs.rps * inputs.errorRate * wait;
  const needed = roundUpSeconds(judge.minStepEvents / (inputs.rps * inputs.errorRate));
  return `~${count(expected)} errors expected on both versions within a step and its maxWait (${duration(wait)}), ` +
    `the judge needs minStepEvents ${judge.minStepEvents} (or its pass) before the step may end; ` +
    `raise the step to at least ${duration(needed)}${expected >= 1 ? `, or lower minStepEvents to ${Math.floor(expected)}` : ''}`;
}

/** Raise the pauses, or the analysis checks when the stage has no pause. */
function lengthen(spec: RolloutSpec, plan: StagePlan, seconds: number): string {
  const interval = (spec.analysis?.interval ?? 0) / 1000;
  if (plan.pauseSeconds === 0 && plan.checks > 0 && interval > 0) {
    return `raise its analysis checks to at least ${Math.ceil(seconds / interval - 1e-9)}`;
  }
  return `raise the step to at least ${duration(roundUpSeconds(seconds))}`;
}

/** ", or the weight to 20%" when some higher weight detects within the stage as it is. */
function weightAdvice(spec: RolloutSpec, plan: StagePlan, inputs: StageInputs): string {
  for (const weight of CANDIDATE_WEIGHTS) {
    if (weight <= plan.weight) continue;
    const t = detectWithThresholds(spec, weight, inputs, undefined)?.seconds ?? Infinity;
    const j = detectWithJudge(spec, weight, inputs, undefined)?.seconds ?? Infinity;
    if (Math.min(t, j) <= plan.seconds) return `, or the weight to ${weight}%`;
  }
  return '';
}

function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** 2 → "2×", 1.5 → "1.5×". */
export function factor(x: number): string {
  return `${Number(x.toPrecision(3))}×`;
}
