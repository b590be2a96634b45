import type { AnalysisSpec, MetricCheckSpec } from '../../spec/types.js';
import { builtinMetricInfo } from '../threshold.js';

/**
 * The spec's threshold metrics as the plan sees them, classified by what they measure
 * (analysis/threshold.ts's builtinMetricInfo, the readers the checks themselves use):
 * - `modelled`: success-rate and error-rate of the canary's own requests, which the plan
 *   computes and simulates from the error rates;
 * - `mirrorRates`: the same of the canary's answers to mirrored copies of stable's requests,
 *   which the plan neither computes nor simulates (taken to pass);
 * - `latencies`: latency quantiles, own or mirrored (the plan models errors, not latency);
 * - `providers`: metrics a provider measures, which the plan cannot know.
 * Dry-run metrics never change a rollout and are left out.
 */
export interface PlanMetrics {
  modelled: MetricCheckSpec[];
  mirrorRates: MetricCheckSpec[];
  latencies: MetricCheckSpec[];
  providers: MetricCheckSpec[];
}

export function planMetrics(metrics: readonly MetricCheckSpec[]): PlanMetrics {
  const out: PlanMetrics = { modelled: [], mirrorRates: [], latencies: [], providers: [] };
  for (const m of metrics) {
    if (m.dryRun) continue;
    const info = builtinMetricInfo(m);
    if (info === undefined) out.providers.push(m);
    else if (info.kind === 'latency') out.latencies.push(m);
    else if (info.mirrored) out.mirrorRates.push(m);
    else out.modelled.push(m);
  }
  return out;
}

/** Whether the plan computes and simulates this metric: a success-rate or error-rate of the canary's own requests. */
export function isModelledMetric(m: MetricCheckSpec): boolean {
  return planMetrics([m]).modelled.length === 1;
}

/** Errors are judged only on mirrored copies (no judge, no own rate check): the plan cannot say what the checks catch. */
export function judgedOnCopiesOnly(analysis: AnalysisSpec): boolean {
  const { modelled, mirrorRates } = planMetrics(analysis.metrics);
  return analysis.judge === undefined && modelled.length === 0 && mirrorRates.length > 0;
}

/** A metric and its bounds in its unit: "success-rate ≥ 99%", "latency-p99 ≤ 400ms", "mirror-latency-p99 ≤ 1.5× stable". */
export function metricBounds(m: MetricCheckSpec): string {
  const unit = builtinMetricInfo(m)?.unit ?? '';
  const parts: string[] = [];
  if (m.min !== undefined && m.max !== undefined) parts.push(`${m.min}–${m.max}${unit}`);
  else if (m.min !== undefined) parts.push(`≥ ${m.min}${unit}`);
  else if (m.max !== undefined) parts.push(`≤ ${m.max}${unit}`);
  if (m.minRatio !== undefined && m.maxRatio !== undefined) parts.push(`${m.minRatio}–${m.maxRatio}× stable`);
  else if (m.minRatio !== undefined) parts.push(`≥ ${m.minRatio}× stable`);
  else if (m.maxRatio !== undefined) parts.push(`≤ ${m.maxRatio}× stable`);
  const name = m.provider === undefined ? m.name : `${m.name} (${m.provider.type})`;
  return parts.length === 0 ? name : `${name} ${parts.join(', ')}`;
}
