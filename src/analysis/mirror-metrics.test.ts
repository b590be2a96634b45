import { describe, expect, it } from 'vitest';
import type { AnalysisSpec } from '../spec/types.js';
import { evaluateThresholds } from './threshold.js';
import type { VersionWindow } from './types.js';

/** `mirror-*` builtin metrics judge the canary's answers to mirrored requests, apart from its own traffic. */

const analysis = (metrics: AnalysisSpec['metrics']): AnalysisSpec => ({ interval: 10_000, failureLimit: 0, inconclusiveLimit: 3, minRequests: 20, metrics });
const win = (requests: number, errors: number, p99?: number): VersionWindow => ({
  requests,
  errors,
  ...(requests > 0 ? { successRate: (100 * (requests - errors)) / requests } : {}),
  ...(p99 === undefined ? {} : { p50: p99 / 2, p95: p99, p99 }),
});
const W = { from: 0, to: 10_000 };

describe('mirror metrics in threshold checks', () => {
  it('fails a canary whose answers to mirrored requests fail, while it serves no client', () => {
    const r = evaluateThresholds(analysis([{ name: 'mirror-success-rate', min: 99 }]), win(0, 0), win(400, 0, 20), W, {}, win(200, 30, 25));
    expect(r.verdict).toBe('fail');
    expect(r.metrics[0]).toMatchObject({ name: 'mirror-success-rate', value: 85, samples: 200, verdict: 'fail' });
    expect(r.metrics[0].reason).toBe('mirror-success-rate 85% is below the minimum 99% (200 requests)');
    expect(r.mirror).toEqual(win(200, 30, 25));
  });

  it('passes on healthy mirrored answers and compares their latency with stable', () => {
    const r = evaluateThresholds(analysis([{ name: 'mirror-success-rate', min: 99 }, { name: 'mirror-latency-p99', maxRatio: 1.5 }]), win(0, 0), win(400, 0, 20), W, {}, win(200, 0, 24));
    expect(r.verdict).toBe('pass');
    expect(r.metrics[1]).toMatchObject({ value: 24, stableValue: 20, ratio: 1.2, verdict: 'pass' });
    expect(r.metrics[1].reason).toContain('(200 mirrored and 400 stable requests)');
  });

  it('is inconclusive with too few mirrored requests, or when nothing was mirrored', () => {
    const few = evaluateThresholds(analysis([{ name: 'mirror-error-rate', max: 1 }]), win(500, 0), win(500, 0), W, {}, win(5, 0));
    expect(few.verdict).toBe('inconclusive');
    expect(few.metrics[0].reason).toBe('only 5 mirrored requests in the window; need 20');
    const none = evaluateThresholds(analysis([{ name: 'mirror-error-rate', max: 1 }]), win(500, 0), win(500, 0), W);
    expect(none.verdict).toBe('inconclusive');
    expect(none).not.toHaveProperty('mirror');
  });

  it('leaves the canary metrics on the canary’s own requests', () => {
    const r = evaluateThresholds(analysis([{ name: 'success-rate', min: 99 }]), win(100, 0), win(400, 0), W, {}, win(200, 100));
    expect(r.verdict).toBe('pass');
    expect(r.metrics[0].samples).toBe(100);
  });
});
