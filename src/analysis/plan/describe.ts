import type { MetricCheckSpec, RolloutSpec } from '../../spec/types.js';
import { count, duration, percent } from './format.js';
import { metricBounds, planMetrics } from './metrics.js';
import { rolloutStages } from './stages.js';

/** The rollout's policy in one line: its weights, and how it is judged. */
export function describeRollout(spec: RolloutSpec): string {
  const weights = rolloutStages(spec)
    .filter((s) => s.weight > 0)
    .map((s) => `${s.weight}${s.gate ? ' (gate)' : ''}`);
  return `steps ${weights.join('/')}%, ${describeAnalysis(spec)}`;
}

/** How the rollout is judged, e.g. "threshold checks every 10s (success-rate ≥ 99%, failureLimit 1, minRequests 50)". */
export function describeAnalysis(spec: RolloutSpec): string {
  const a = spec.analysis;
  if (a === undefined) return 'no analysis: steps advance on time and gates alone';
  const parts: string[] = [];
  const metrics = (a.metrics ?? []).map(metricBounds);
  const rules = [`failureLimit ${a.failureLimit}`, `minRequests ${a.minRequests}`];
  // Without metrics the engine runs no threshold checks at all.
  if (metrics.length > 0) parts.push(`threshold checks every ${duration(a.interval / 1000)} (${[...metrics, ...rules].join(', ')})`);
  if (a.judge !== undefined) {
    const j = a.judge;
    parts.push(
      `the sequential judge (alpha ${percent(j.alpha)}, minEffect ${j.minEffect}${j.tolerance > 0 ? `, tolerance ${j.tolerance}` : ''}, ` +
        `minStepEvents ${j.minStepEvents}, maxWait ${duration(j.maxWait / 1000)})`,
    );
  }
  return parts.join(' and ');
}

/**
 * What the plan cannot model, one sentence per kind, each saying what the plan does with it:
 * checks on mirrored copies (with how many copies a check sees), latency, providers' metrics.
 */
export function unmodelledNotes(spec: RolloutSpec, rps: number): string[] {
  const { mirrorRates, latencies, providers } = planMetrics(spec.analysis?.metrics ?? []);
  const notes: string[] = [];
  if (mirrorRates.length > 0) notes.push(`${list(mirrorRates)}: ${mirrorCopies(spec, rps)}`);
  const latency = latencies.map(metricBounds);
  if (spec.analysis?.judge?.latency !== undefined) latency.push('the judge\'s latency test');
  if (latency.length > 0) notes.push(`${latency.join(', ')}: taken to pass; the plan models errors, not latency`);
  if (providers.length > 0) notes.push(`${list(providers)}: taken to pass; the plan cannot know what a provider measures`);
  return notes;
}

/** How many mirrored copies a check sees at the planned traffic, and that the plan takes their checks to pass. */
function mirrorCopies(spec: RolloutSpec, rps: number): string {
  const judged = 'judged on the canary\'s answers to mirrored copies of stable\'s requests';
  const notSimulated = 'which the plan does not simulate: its figures take these checks to pass and say nothing of what the copies catch';
  const share = spec.mirror?.percent;
  if (share === undefined) return `${judged}, but the rollout sets no strategy.canary.mirror, so these checks never see a request; set mirror.percent or drop them`;
  const interval = (spec.analysis?.interval ?? 0) / 1000;
  const weights = [...new Set(rolloutStages(spec).map((s) => s.weight))].filter((w) => w < 100).sort((a, b) => a - b);
  const per = (w: number): string => `~${count(rps * (1 - w / 100) * (share / 100) * interval)} at ${w}%`;
  const at = weights.length <= 2 ? weights.map(per).join(', ') : `${per(weights[0])} down to ${per(weights[weights.length - 1])}`;
  return `${judged} (mirror.percent ${share}: ${at} per ${duration(interval)} check), ${notSimulated}`;
}

function list(metrics: MetricCheckSpec[]): string {
  return metrics.map(metricBounds).join(', ');
}
