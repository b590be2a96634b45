import { describe, expect, it } from 'vitest';
import type { ServiceSnapshot, VersionCounters } from '../proxy/counters.js';
import { Histogram } from '../proxy/histogram.js';
import { BuiltinProvider, type CounterSource } from './builtin.js';

/*
 * Windowing over sampled cumulative counters (pure arithmetic, so the counter
 * source is a function of an injected clock): the sampler runs once a second
 * at one phase, the controller ticks at another, and checks are measured a few
 * milliseconds after their window's end.
 */

/** 40 requests a second to each version from t=0 on (one every 25 ms), none failing. */
function steadyTraffic(clock: { now: number }): CounterSource {
  const counters = (at: number): VersionCounters => {
    const requests = Math.floor(Math.max(0, at) / 25);
    return { requests, status5xx: 0, proxyErrors: 0, errors: 0, latency: new Histogram().toData() };
  };
  return { snapshot: (service) => (service === 'shop' ? ({ at: clock.now, stable: counters(clock.now), canary: counters(clock.now) } satisfies ServiceSnapshot) : undefined) };
}

/**
 * Samples every second at .731; the weight changes at 10.334 (sampled 7 ms later, as the
 * controller marks once the routes are applied); then 1 s windows end at the controller's
 * ticks (.334), each measured 7 ms later. Returns each window's canary requests.
 */
function checks(opts: { markBeforeMeasuring: boolean }): { counts: number[]; total: number } {
  const clock = { now: 9_731 };
  const provider = new BuiltinProvider(steadyTraffic(clock), { now: () => clock.now });
  provider.sample(['shop']);
  clock.now = 10_341;
  provider.mark('shop');
  const counts: number[] = [];
  let from = 10_334;
  for (let t = 10_731; t < 40_000; t += 1000) {
    clock.now = t;
    provider.sample(['shop']);
    const to = t + 603;
    clock.now = to + 7;
    if (opts.markBeforeMeasuring) provider.mark('shop');
    counts.push(provider.window('shop', from, to)!.canary.requests);
    from = to;
  }
  return { counts, total: Math.floor((from + 7) / 25) - Math.floor(10_341 / 25) };
}

describe('the builtin provider’s windows', () => {
  it('never collapses a 1 s window whose start rounds up to the sample its end rounds down to', () => {
    const { counts } = checks({ markBeforeMeasuring: false });
    expect(counts.length).toBeGreaterThan(20);
    // 40 requests a second: every 1 s window sees about 40, none sees 0.
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(20);
  });

  it('chains back-to-back windows exactly when a sample is taken before each check (as the controller does)', () => {
    const { counts, total } = checks({ markBeforeMeasuring: true });
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(35);
    // Nothing lost, nothing counted twice: the windows add up to the traffic between the first sample
    // and the last.
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
  });

  it('starts a window at the sample taken at the weight change, not at the periodic one before it', () => {
    const clock = { now: 5_000 };
    const provider = new BuiltinProvider(steadyTraffic(clock), { now: () => clock.now });
    provider.sample(['shop']); // periodic, 5.000
    clock.now = 5_700;
    provider.mark('shop'); // routes applied at 5.700, the window asked from 5.690
    clock.now = 6_690;
    const w = provider.window('shop', 5_690, 6_690)!;
    expect(w.from).toBe(5_700);
    expect(w.canary.requests).toBe(Math.floor(6_690 / 25) - Math.floor(5_700 / 25));
  });
});
