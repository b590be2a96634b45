import type { AnalysisSpec, BuiltinMetricName, MetricCheckSpec } from '../spec/types.js';
import { worse } from './types.js';
import type { CheckResult, MetricVerdict, Verdict, VersionWindow } from './types.js';

/**
 * Threshold checks with Flagger/Argo semantics: each metric of the canary's window
 * is held against its fixed bounds. Too few canary requests, or no value, is
 * `inconclusive` — never a pass — so a quiet canary is not promoted blind.
 * The overall verdict is the worst of the metrics'.
 */
export function evaluateThresholds(
  analysis: AnalysisSpec,
  canary: VersionWindow,
  stable: VersionWindow,
  window: { from: number; to: number },
): CheckResult {
  const metrics = analysis.metrics.map((metric) => judgeMetric(metric, canary, analysis.minRequests));
  let verdict: Verdict = metrics.length === 0 ? volumeVerdict(canary, analysis.minRequests) : 'pass';
  for (const m of metrics) verdict = worse(verdict, m.verdict);
  return {
    verdict,
    from: window.from,
    to: window.to,
    canary: { ...canary },
    stable: { ...stable },
    metrics,
    summary: summarize(verdict, metrics, canary, stable, analysis.minRequests),
  };
}

/** Which figure of a window each builtin metric reads, and its unit. */
const READERS: Record<BuiltinMetricName, { read: (w: VersionWindow) => number | undefined; unit: string }> = {
  'success-rate': { read: (w) => w.successRate, unit: '%' },
  'latency-p50': { read: (w) => w.p50, unit: 'ms' },
  'latency-p95': { read: (w) => w.p95, unit: 'ms' },
  'latency-p99': { read: (w) => w.p99, unit: 'ms' },
};

function judgeMetric(metric: MetricCheckSpec, canary: VersionWindow, minRequests: number): MetricVerdict {
  const samples = canary.requests;
  const base = { name: metric.name, samples, ...bounds(metric) };
  const reader = READERS[metric.name] as (typeof READERS)[BuiltinMetricName] | undefined;
  if (reader === undefined) {
    // spec/ rejects unknown names; if one slips through, say so rather than judge blind.
    const known = Object.keys(READERS).join(', ');
    return { ...base, verdict: 'inconclusive', reason: `unknown metric "${String(metric.name)}"; use one of ${known}` };
  }
  const value = reader.read(canary);
  const requests = plural(samples, 'request');
  if (samples < minRequests) {
    return {
      ...base,
      ...(value === undefined ? {} : { value }),
      verdict: 'inconclusive',
      reason: `only ${plural(samples, 'canary request')} in the window; need ${minRequests}`,
    };
  }
  if (value === undefined || !Number.isFinite(value)) {
    return { ...base, verdict: 'inconclusive', reason: `no ${metric.name} value for the canary in the window (${requests})` };
  }
  const shown = (v: number, bound?: number): string => formatValue(v, reader.unit, bound);
  if (metric.min !== undefined && value < metric.min) {
    const reason = `${metric.name} ${shown(value, metric.min)} is below the minimum ${shown(metric.min)} (${requests})`;
    return { ...base, value, verdict: 'fail', reason };
  }
  if (metric.max !== undefined && value > metric.max) {
    const reason = `${metric.name} ${shown(value, metric.max)} is above the maximum ${shown(metric.max)} (${requests})`;
    return { ...base, value, verdict: 'fail', reason };
  }
  return { ...base, value, verdict: 'pass', reason: `${metric.name} ${shown(value)} ${withinPhrase(metric, shown)} (${requests})` };
}

function bounds(metric: MetricCheckSpec): { min?: number; max?: number } {
  return {
    ...(metric.min === undefined ? {} : { min: metric.min }),
    ...(metric.max === undefined ? {} : { max: metric.max }),
  };
}

function withinPhrase(metric: MetricCheckSpec, shown: (v: number) => string): string {
  if (metric.min !== undefined && metric.max !== undefined) {
    return `is within ${shown(metric.min)} to ${shown(metric.max)}`;
  }
  if (metric.min !== undefined) return `meets the minimum ${shown(metric.min)}`;
  if (metric.max !== undefined) return `is within the maximum ${shown(metric.max)}`;
  return 'has no bound to meet';
}

/** With no metrics listed, a check still needs enough canary traffic to count. */
function volumeVerdict(canary: VersionWindow, minRequests: number): Verdict {
  return canary.requests < minRequests ? 'inconclusive' : 'pass';
}

function summarize(
  verdict: Verdict,
  metrics: MetricVerdict[],
  canary: VersionWindow,
  stable: VersionWindow,
  minRequests: number,
): string {
  const traffic = `canary ${plural(canary.requests, 'request')}, stable ${plural(stable.requests, 'request')}`;
  if (metrics.length === 0) {
    const why = verdict === 'pass' ? 'no metrics to judge' : `only ${canary.requests} canary requests; need ${minRequests}`;
    return `${verdict}: ${why} — ${traffic}`;
  }
  const worst = new Set(metrics.filter((m) => m.verdict === verdict).map((m) => m.reason));
  const why = verdict === 'pass' ? `all ${plural(metrics.length, 'metric')} within bounds` : [...worst].join('; ');
  return `${verdict}: ${why} — ${traffic}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A value with enough decimals that it never reads the same as the bound it
 * was compared with ("99.95%" rather than "100.0%" against a 99.96% minimum).
 */
export function formatValue(value: number, unit: string, bound?: number): string {
  if (Number.isInteger(value)) return `${value}${unit}`;
  let digits = 1;
  while (digits < 4 && bound !== undefined && Number(value.toFixed(digits)) === bound) digits++;
  return `${Number(value.toFixed(digits))}${unit}`;
}
