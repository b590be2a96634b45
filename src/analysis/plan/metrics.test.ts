import { describe, expect, it } from 'vitest';
import { metricBounds, planMetrics } from './metrics.js';

describe('planMetrics', () => {
  it('classifies metrics by what they measure: own rates, mirrored rates, latencies (own or mirrored), providers', () => {
    const m = planMetrics([
      { name: 'success-rate', min: 99 },
      { name: 'error-rate', max: 1 },
      { name: 'mirror-success-rate', min: 99 },
      { name: 'mirror-error-rate', max: 1 },
      { name: 'latency-p99', max: 400 },
      { name: 'mirror-latency-p99', maxRatio: 1.5 },
      { name: 'success-rate', min: 99.9, dryRun: true },
      { name: 'p99', max: 1, provider: { type: 'prometheus', address: 'http://p', query: 'q', timeout: 1000 } },
    ]);
    expect(m.modelled.map((x) => x.name)).toEqual(['success-rate', 'error-rate']);
    expect(m.mirrorRates.map((x) => x.name)).toEqual(['mirror-success-rate', 'mirror-error-rate']);
    expect(m.latencies.map((x) => x.name)).toEqual(['latency-p99', 'mirror-latency-p99']);
    expect(m.providers.map((x) => x.name)).toEqual(['p99']);
  });
});

describe('metricBounds', () => {
  it('shows each bound in its unit: % for rates (mirrored too), ms for latencies, × stable for ratios', () => {
    expect(metricBounds({ name: 'mirror-success-rate', min: 99 })).toBe('mirror-success-rate ≥ 99%');
    expect(metricBounds({ name: 'mirror-latency-p99', maxRatio: 1.5 })).toBe('mirror-latency-p99 ≤ 1.5× stable');
    expect(metricBounds({ name: 'latency-p95', max: 400 })).toBe('latency-p95 ≤ 400ms');
    expect(metricBounds({ name: 'error-rate', max: 1, maxRatio: 2 })).toBe('error-rate ≤ 1%, ≤ 2× stable');
  });
});
