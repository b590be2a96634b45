import { describe, expect, it } from 'vitest';
import type { AnalysisSpec, MetricCheckSpec } from '../spec/types.js';
import { evaluateThresholds, formatValue } from './threshold.js';
import type { Verdict, VersionWindow } from './types.js';

const WINDOW = { from: 1_000, to: 31_000 };
const STABLE: VersionWindow = { requests: 3801, errors: 4, successRate: 99.89, p50: 20, p95: 80, p99: 120 };

function analysis(metrics: MetricCheckSpec[], minRequests = 50): AnalysisSpec {
  return { interval: 30_000, failureLimit: 1, inconclusiveLimit: 2, minRequests, metrics };
}

function canary(patch: Partial<VersionWindow>): VersionWindow {
  return { requests: 412, errors: 1, successRate: 99.76, p50: 22, p95: 90, p99: 140, ...patch };
}

const SUCCESS = { name: 'success-rate', min: 99 } as const;
const P99 = { name: 'latency-p99', max: 500 } as const;

const metricCases: Array<{ name: string; metric: MetricCheckSpec; canary: VersionWindow; verdict: Verdict; value?: number; reason: string }> = [
  {
    name: 'success rate above its minimum passes',
    metric: SUCCESS, canary: canary({}), verdict: 'pass', value: 99.76,
    reason: 'success-rate 99.8% meets the minimum 99% (412 requests)',
  },
  {
    name: 'success rate below its minimum fails',
    metric: SUCCESS, canary: canary({ successRate: 91.23 }), verdict: 'fail', value: 91.23,
    reason: 'success-rate 91.2% is below the minimum 99% (412 requests)',
  },
  {
    name: 'exactly at the minimum passes',
    metric: SUCCESS, canary: canary({ successRate: 99 }), verdict: 'pass', value: 99,
    reason: 'success-rate 99% meets the minimum 99% (412 requests)',
  },
  {
    name: 'just below the minimum shows enough decimals to differ from it',
    metric: { name: 'success-rate', min: 99.9 }, canary: canary({ successRate: 99.896 }), verdict: 'fail', value: 99.896,
    reason: 'success-rate 99.896% is below the minimum 99.9% (412 requests)',
  },
  {
    name: 'latency above its maximum fails',
    metric: P99, canary: canary({ p99: 812.44 }), verdict: 'fail', value: 812.44,
    reason: 'latency-p99 812.4ms is above the maximum 500ms (412 requests)',
  },
  {
    name: 'latency under its maximum passes',
    metric: P99, canary: canary({}), verdict: 'pass', value: 140,
    reason: 'latency-p99 140ms is within the maximum 500ms (412 requests)',
  },
  {
    name: 'a value between both bounds passes',
    metric: { name: 'latency-p50', min: 1, max: 50 }, canary: canary({}), verdict: 'pass', value: 22,
    reason: 'latency-p50 22ms is within 1ms to 50ms (412 requests)',
  },
  {
    name: 'a value over the maximum of a two-sided bound fails',
    metric: { name: 'latency-p95', min: 1, max: 50 }, canary: canary({}), verdict: 'fail', value: 90,
    reason: 'latency-p95 90ms is above the maximum 50ms (412 requests)',
  },
  {
    name: 'too few canary requests is inconclusive, even with a bad value',
    metric: SUCCESS, canary: canary({ requests: 12, successRate: 50 }), verdict: 'inconclusive', value: 50,
    reason: 'only 12 canary requests in the window; need 50',
  },
  {
    name: 'one canary request reads in the singular',
    metric: SUCCESS, canary: canary({ requests: 1 }), verdict: 'inconclusive',
    reason: 'only 1 canary request in the window; need 50',
  },
  {
    name: 'no value is inconclusive, never a pass',
    metric: P99, canary: canary({ p99: undefined }), verdict: 'inconclusive',
    reason: 'no latency-p99 value for the canary in the window (412 requests)',
  },
  {
    name: 'a non-finite value is inconclusive',
    metric: SUCCESS, canary: canary({ successRate: Number.NaN }), verdict: 'inconclusive',
    reason: 'no success-rate value for the canary in the window (412 requests)',
  },
  {
    name: 'a metric name spec/ should have refused is inconclusive, and says so',
    metric: { name: 'latency-p42' } as unknown as MetricCheckSpec, canary: canary({}), verdict: 'inconclusive',
    reason: 'latency-p42 could not be measured for the canary: unknown metric "latency-p42"; use one of success-rate, error-rate, latency-p50, latency-p95, latency-p99, mirror-success-rate, mirror-error-rate, mirror-latency-p50, mirror-latency-p95, mirror-latency-p99',
  },
];

describe('evaluateThresholds: one metric', () => {
  it.each(metricCases)('$name', ({ metric, canary: c, verdict, value, reason }) => {
    const result = evaluateThresholds(analysis([metric]), c, STABLE, WINDOW);
    expect(result.verdict).toBe(verdict);
    expect(result.metrics).toHaveLength(1);
    const [m] = result.metrics;
    expect(m).toMatchObject({ name: metric.name, verdict, samples: c.requests, reason });
    if (value !== undefined) expect(m.value).toBe(value);
    if (verdict === 'inconclusive' && c.requests >= 50) expect(m.value).toBeUndefined();
    if (metric.min !== undefined) expect(m.min).toBe(metric.min);
    if (metric.max !== undefined) expect(m.max).toBe(metric.max);
  });
});

const overallCases: Array<{ name: string; canary: VersionWindow; metrics: MetricCheckSpec[]; verdict: Verdict; summary: string }> = [
  {
    name: 'all pass → pass',
    canary: canary({}), metrics: [SUCCESS, P99], verdict: 'pass',
    summary: 'pass: all 2 metrics within bounds — canary 412 requests, stable 3801 requests',
  },
  {
    name: 'one fail among passes → fail, quoting the failing metric',
    canary: canary({ p99: 900 }), metrics: [SUCCESS, P99], verdict: 'fail',
    summary: 'fail: latency-p99 900ms is above the maximum 500ms (412 requests) — canary 412 requests, stable 3801 requests',
  },
  {
    name: 'fail is worse than inconclusive',
    canary: canary({ p99: undefined, successRate: 80 }), metrics: [SUCCESS, P99], verdict: 'fail',
    summary: 'fail: success-rate 80% is below the minimum 99% (412 requests) — canary 412 requests, stable 3801 requests',
  },
  {
    name: 'inconclusive is worse than pass',
    canary: canary({ p99: undefined }), metrics: [SUCCESS, P99], verdict: 'inconclusive',
    summary: 'inconclusive: no latency-p99 value for the canary in the window (412 requests) — canary 412 requests, stable 3801 requests',
  },
  {
    name: 'too little traffic makes every metric inconclusive',
    canary: canary({ requests: 12 }), metrics: [SUCCESS, P99], verdict: 'inconclusive',
    summary: 'inconclusive: only 12 canary requests in the window; need 50 — canary 12 requests, stable 3801 requests',
  },
  {
    name: 'no metrics: enough traffic passes',
    canary: canary({}), metrics: [], verdict: 'pass',
    summary: 'pass: no metrics to judge — canary 412 requests, stable 3801 requests',
  },
  {
    name: 'no metrics: too little traffic is still inconclusive',
    canary: canary({ requests: 3 }), metrics: [], verdict: 'inconclusive',
    summary: 'inconclusive: only 3 canary requests; need 50 — canary 3 requests, stable 3801 requests',
  },
];

describe('evaluateThresholds: overall verdict', () => {
  it.each(overallCases)('$name', ({ canary: c, metrics, verdict, summary }) => {
    const result = evaluateThresholds(analysis(metrics), c, STABLE, WINDOW);
    expect(result.verdict).toBe(verdict);
    expect(result.summary).toBe(summary);
    expect(result.summary).not.toContain('\n');
    expect(result).toMatchObject({ from: 1_000, to: 31_000, canary: c, stable: STABLE });
  });

  it('keeps copies of the windows, not the caller objects', () => {
    const c = canary({});
    const result = evaluateThresholds(analysis([SUCCESS]), c, STABLE, WINDOW);
    expect(result.canary).toEqual(c);
    expect(result.canary).not.toBe(c);
    expect(result.stable).not.toBe(STABLE);
  });
});

describe('formatValue', () => {
  it.each<[number, string, number | undefined, string]>([
    [99, '%', undefined, '99%'],
    [99.76, '%', undefined, '99.8%'],
    [99.95, '%', 100, '99.95%'],
    [99.9999, '%', 100, '99.9999%'],
    [812.44, 'ms', 500, '812.4ms'],
  ])('%d%s against %s reads %s', (value, unit, bound, text) => {
    expect(formatValue(value, unit, bound)).toBe(text);
  });
});
