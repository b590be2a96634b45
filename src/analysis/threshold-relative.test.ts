import { describe, expect, it } from 'vitest';
import type { Measurement } from '../metrics/provider.js';
import type { AnalysisSpec, MetricCheckSpec } from '../spec/types.js';
import { evaluateThresholds, type MetricMeasurements } from './threshold.js';
import type { Verdict, VersionWindow } from './types.js';

/** Relative checks (canary vs stable), provider measurements and dry-run metrics. */

const WINDOW = { from: 1_000, to: 31_000 };

function analysis(metrics: MetricCheckSpec[], minRequests = 50): AnalysisSpec {
  return { interval: 30_000, failureLimit: 1, inconclusiveLimit: 2, minRequests, metrics };
}

function win(requests: number, errors: number, p99?: number): VersionWindow {
  return { requests, errors, ...(requests > 0 ? { successRate: (100 * (requests - errors)) / requests } : {}), ...(p99 === undefined ? {} : { p99 }) };
}

const PROM = { type: 'prometheus', address: 'http://127.0.0.1:9090', query: 'q', timeout: 5000 } as const;
const ok = (value: number): Measurement => ({ phase: 'ok', value });

const cases: Array<{
  name: string;
  metric: MetricCheckSpec;
  canary?: VersionWindow;
  stable?: VersionWindow;
  measured?: MetricMeasurements;
  verdict: Verdict;
  reason: string;
  ratio?: number;
  error?: string;
}> = [
  {
    name: 'builtin error-rate 3.1× stable fails a 1.2× bound',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(1000, 24), stable: win(4000, 31),
    verdict: 'fail', ratio: 2.4 / 0.775,
    reason: "error-rate 2.4% is 3.1× stable's 0.775% (max 1.2×) (1000 canary and 4000 stable requests)",
  },
  {
    name: 'builtin error-rate within the ratio passes',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(1000, 9), stable: win(4000, 32),
    verdict: 'pass', ratio: 0.9 / 0.8,
    reason: "error-rate 0.9% is 1.1× stable's 0.8% (max 1.2×) (1000 canary and 4000 stable requests)",
  },
  {
    name: 'a ratio just over the bound shows enough decimals to differ from it',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(10000, 121), stable: win(10000, 100),
    verdict: 'fail', ratio: 1.21,
    reason: "error-rate 1.21% is 1.21× stable's 1% (max 1.2×) (10000 canary and 10000 stable requests)",
  },
  {
    name: 'absolute and relative combined: both met',
    metric: { name: 'latency-p99', max: 800, maxRatio: 1.5 }, canary: win(500, 0, 140), stable: win(2000, 0, 130),
    verdict: 'pass', ratio: 140 / 130,
    reason: "latency-p99 140ms is within the maximum 800ms and is 1.1× stable's 130ms (max 1.5×) (500 canary and 2000 stable requests)",
  },
  {
    name: 'absolute and relative combined: the absolute bound fails first',
    metric: { name: 'latency-p99', max: 800, maxRatio: 1.5 }, canary: win(500, 0, 900), stable: win(2000, 0, 850),
    verdict: 'fail',
    reason: 'latency-p99 900ms is above the maximum 800ms (500 requests)',
  },
  {
    name: 'absolute and relative combined: the ratio fails',
    metric: { name: 'latency-p99', max: 800, maxRatio: 1.5 }, canary: win(500, 0, 400), stable: win(2000, 0, 100),
    verdict: 'fail', ratio: 4,
    reason: "latency-p99 400ms is 4× stable's 100ms (max 1.5×) (500 canary and 2000 stable requests)",
  },
  {
    name: 'minRatio: success rate well below stable fails',
    metric: { name: 'success-rate', minRatio: 0.99 }, canary: win(1000, 50), stable: win(1000, 1),
    verdict: 'fail', ratio: 95 / 99.9,
    reason: "success-rate 95% is 0.95× stable's 99.9% (min 0.99×) (1000 canary and 1000 stable requests)",
  },
  {
    name: "stable at 0 and canary at 0 is the same, a pass",
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(1000, 0), stable: win(4000, 0),
    verdict: 'pass',
    reason: "error-rate 0% is the same as stable's 0% (max 1.2×) (1000 canary and 4000 stable requests)",
  },
  {
    name: 'stable at 0 and canary above it: no ratio meets a maximum',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(1000, 5), stable: win(4000, 0),
    verdict: 'fail',
    reason: "error-rate 0.5% is above stable's 0%, so no ratio to it exists (max 1.2×) (1000 canary and 4000 stable requests)",
  },
  {
    name: 'stable without requests is inconclusive',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(1000, 5), stable: win(0, 0),
    verdict: 'inconclusive',
    reason: 'only 0 stable requests in the window to compare error-rate with; need 50',
  },
  {
    name: 'too few canary requests is inconclusive before any comparison',
    metric: { name: 'error-rate', maxRatio: 1.2 }, canary: win(10, 5), stable: win(4000, 1),
    verdict: 'inconclusive',
    reason: 'only 10 canary requests in the window; need 50',
  },
  {
    name: 'provider metric, absolute bound, ok',
    metric: { name: 'checkout-error-ratio', provider: PROM, max: 0.01 }, measured: { canary: ok(0.0042) },
    verdict: 'pass',
    reason: 'checkout-error-ratio 0.0042 is within the maximum 0.01 (prometheus)',
  },
  {
    name: 'provider metric, absolute bound, fails with small values shown exactly',
    metric: { name: 'checkout-error-ratio', provider: PROM, max: 0.01 }, measured: { canary: ok(0.0123) },
    verdict: 'fail',
    reason: 'checkout-error-ratio 0.0123 is above the maximum 0.01 (prometheus)',
  },
  {
    name: 'provider metric, relative: stable queried too',
    metric: { name: 'ratio', provider: PROM, maxRatio: 2 }, measured: { canary: ok(0.03), stable: ok(0.01) },
    verdict: 'fail', ratio: 3,
    reason: "ratio 0.03 is 3× stable's 0.01 (max 2×) (prometheus)",
  },
  {
    name: 'provider metric with stable no data is inconclusive',
    metric: { name: 'ratio', provider: PROM, maxRatio: 2 }, measured: { canary: ok(0.03), stable: { phase: 'nodata', message: 'the query returned no series' } },
    verdict: 'inconclusive',
    reason: 'ratio 0.03 cannot be compared with stable: no value for stable in the window (the query returned no series)',
  },
  {
    name: 'a provider error is inconclusive, never a pass, and carries the error',
    metric: { name: 'ratio', provider: PROM, max: 1 }, measured: { canary: { phase: 'error', message: 'GET http://127.0.0.1:9090/api/v1/query timed out after 5s' } },
    verdict: 'inconclusive', error: 'GET http://127.0.0.1:9090/api/v1/query timed out after 5s',
    reason: 'ratio query to prometheus failed for the canary: GET http://127.0.0.1:9090/api/v1/query timed out after 5s',
  },
  {
    name: "stable's provider error counts as an error of a relative check",
    metric: { name: 'ratio', provider: PROM, maxRatio: 1 }, measured: { canary: ok(1), stable: { phase: 'error', message: 'boom' } },
    verdict: 'inconclusive', error: 'boom',
    reason: 'ratio query to prometheus failed for the stable: boom',
  },
  {
    name: 'provider no data is inconclusive with its message',
    metric: { name: 'ratio', provider: PROM, max: 1 }, measured: { canary: { phase: 'nodata', message: 'the query yielded NaN' } },
    verdict: 'inconclusive',
    reason: 'no ratio value for the canary in the window (the query yielded NaN)',
  },
  {
    name: 'a provider metric left unmeasured is an error, never a pass',
    metric: { name: 'ratio', provider: PROM, max: 1 },
    verdict: 'inconclusive', error: 'ratio was not measured by its prometheus provider',
    reason: 'ratio query to prometheus failed for the canary: ratio was not measured by its prometheus provider',
  },
];

describe('evaluateThresholds: relative bounds and providers', () => {
  it.each(cases)('$name', ({ metric, canary, stable, measured, verdict, reason, ratio, error }) => {
    const c = canary ?? win(400, 0);
    const s = stable ?? win(1600, 0);
    const result = evaluateThresholds(analysis([metric]), c, s, WINDOW, measured ? { [metric.name]: measured } : {});
    const [m] = result.metrics;
    expect(m.reason).toBe(reason);
    expect(m.verdict).toBe(verdict);
    expect(result.verdict).toBe(verdict);
    if (ratio === undefined) expect(m.ratio).toBeUndefined();
    else expect(m.ratio).toBeCloseTo(ratio, 9);
    expect(m.error).toBe(error);
    if (metric.provider) expect(m.provider).toBe(metric.provider.type);
    if (metric.maxRatio !== undefined) expect(m.maxRatio).toBe(metric.maxRatio);
  });
});

describe('evaluateThresholds: dryRun', () => {
  const canary = win(1000, 50, 900);
  const stable = win(4000, 4, 100);

  it('records a failing dry-run metric but leaves it out of the verdict', () => {
    const metrics: MetricCheckSpec[] = [{ name: 'latency-p99', max: 800, dryRun: true }, { name: 'success-rate', min: 90 }];
    const result = evaluateThresholds(analysis(metrics), canary, stable, WINDOW);
    expect(result.verdict).toBe('pass');
    expect(result.metrics[0]).toMatchObject({ name: 'latency-p99', verdict: 'fail', dryRun: true });
    expect(result.metrics[1]).not.toHaveProperty('dryRun');
    expect(result.summary).toBe(
      'pass: all 1 metric within bounds; dry-run fail (ignored): latency-p99 900ms is above the maximum 800ms (1000 requests) — canary 1000 requests, stable 4000 requests',
    );
  });

  it('a non-dry-run failure still fails next to a passing dry-run one', () => {
    const metrics: MetricCheckSpec[] = [{ name: 'latency-p99', max: 1000, dryRun: true }, { name: 'success-rate', min: 99 }];
    const result = evaluateThresholds(analysis(metrics), canary, stable, WINDOW);
    expect(result.verdict).toBe('fail');
    expect(result.metrics[0]).toMatchObject({ verdict: 'pass', dryRun: true });
  });

  it('with only dry-run metrics the verdict rests on traffic volume alone', () => {
    const metrics: MetricCheckSpec[] = [{ name: 'latency-p99', max: 800, dryRun: true }];
    expect(evaluateThresholds(analysis(metrics), canary, stable, WINDOW).verdict).toBe('pass');
    expect(evaluateThresholds(analysis(metrics), win(3, 0, 900), stable, WINDOW).verdict).toBe('inconclusive');
  });
});
