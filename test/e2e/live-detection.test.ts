import { describe, expect, it } from 'vitest';
import { liveDetectionRun } from '../../bench/detection-live.js';
import { SLUICE } from './harness.js';

/**
 * The judge on the real system: a real server process and proxy, real
 * upstreams (canary failing 5%, stable 0.5%), ~200 rps of real load.
 * `npm run bench:detection -- --live` runs this five times and reports the median.
 */
describe('live detection', () => {
  it('rolls a 5%-failing canary back after a handful of failed canary responses, counted by the canary itself', async () => {
    const r = await liveDetectionRun({ cli: [process.execPath, SLUICE], rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.05, timeoutMs: 120_000 });
    expect(r.phase, r.message).toBe('rolled-back');
    expect(r.message).toContain('sequential judge');
    // Target median is ≤ 15; a single run gets headroom for an unlucky draw.
    expect(r.canaryFailedServed).toBeLessThanOrEqual(30);
    // What Sluice counted is what the canary served, up to requests in flight at the decision.
    expect(r.sluiceCanaryErrors).toBeLessThanOrEqual(r.canaryFailedServed);
    expect(r.canaryFailedServed - r.sluiceCanaryErrors).toBeLessThanOrEqual(3);
    expect(r.statistic!).toBeGreaterThanOrEqual(r.threshold!);
  }, 150_000);
});
