import type { MetricCheckSpec, RolloutSpec } from '../../spec/types.js';
import { duration, percent } from './format.js';
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
  const metrics = (a.metrics ?? []).map(bounds);
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

/** Metrics the simulator cannot draw (latency): the plan takes them to pass. */
export function unmodelledMetrics(spec: RolloutSpec): string[] {
  const names = (spec.analysis?.metrics ?? []).filter((m) => m.name !== 'success-rate').map(bounds);
  if (spec.analysis?.judge?.latency !== undefined) names.push('the judge\'s latency test');
  return names;
}

function bounds(m: MetricCheckSpec): string {
  const unit = m.name === 'success-rate' ? '%' : 'ms';
  if (m.min !== undefined && m.max !== undefined) return `${m.name} ${m.min}–${m.max}${unit}`;
  if (m.min !== undefined) return `${m.name} ≥ ${m.min}${unit}`;
  if (m.max !== undefined) return `${m.name} ≤ ${m.max}${unit}`;
  return m.name;
}
