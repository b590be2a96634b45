import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../analysis/simulate/prng.js';
import { binomial } from '../analysis/simulate/sampling.js';
import { silentLogger } from '../log/logger.js';
import type { ServiceSnapshot, VersionCounters } from '../proxy/counters.js';
import { Histogram } from '../proxy/histogram.js';
import { MemoryRouter } from '../routers/memory.js';
import type { Rollout } from '../spec/types.js';
import { MemoryStore } from '../store/memory.js';
import type { CounterSource } from '../metrics/builtin.js';
import { Controller } from './controller.js';

/**
 * The sequential judge driven by the controller: counts arrive from a
 * CounterSource as the proxy would report them, cut into batches at every
 * weight change, and the judge rolls back or promotes.
 */

class ScriptedCounters implements CounterSource {
  stable = { requests: 0, errors: 0, latency: new Histogram() };
  canary = { requests: 0, errors: 0, latency: new Histogram() };
  constructor(
    private readonly now: () => number,
    private readonly weight: () => number,
  ) {}
  /** `rps` requests for one second split at the live weight, errors drawn at the given rates. */
  serve(rps: number, stableRate: number, canaryRate: number, rng: Rng, canaryMs = 10): void {
    const toCanary = binomial(rng, rps, this.weight() / 100);
    const add = (v: ScriptedCounters['stable'], n: number, rate: number, ms: number) => {
      v.requests += n;
      v.errors += binomial(rng, n, rate);
      for (let i = 0; i < n; i++) v.latency.record(ms * (0.5 + rng.next()));
    };
    add(this.canary, toCanary, canaryRate, canaryMs);
    add(this.stable, rps - toCanary, stableRate, 10);
  }
  snapshot(): ServiceSnapshot {
    const copy = (v: ScriptedCounters['stable']): VersionCounters => ({ requests: v.requests, errors: v.errors, status5xx: v.errors, proxyErrors: 0, latency: v.latency.toData() });
    return { at: this.now(), stable: copy(this.stable), canary: copy(this.canary) };
  }
}

function judged(latency = false): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'svc' },
    spec: {
      service: { listen: '127.0.0.1:18080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
      steps: [10, 20, 40, 60, 80].flatMap((w) => [{ setWeight: w }, { pause: { duration: 60_000 } }]),
      analysis: {
        interval: 60_000,
        failureLimit: 0,
        inconclusiveLimit: 3,
        minRequests: 20,
        metrics: [],
        judge: { alpha: 0.01, minEffect: 1, tolerance: 0, minStepEvents: 10, maxWait: 300_000, ...(latency ? { latency: { quantile: 0.99, warmupRequests: 500 } } : {}) },
      },
      onFailure: 'rollback',
      onInconclusive: 'pause',
    },
  };
}

async function drive(stableRate: number, canaryRate: number, seed: number, opts: { rps?: number; latency?: boolean; canaryMs?: number } = {}) {
  let now = 1_000_000;
  const store = new MemoryStore();
  const router = new MemoryRouter();
  const rng = createRng(seed);
  const counters = new ScriptedCounters(() => now, () => store.getRollout('svc')?.state.routes.canaryWeight ?? 0);
  const controller = new Controller({
    store,
    router,
    windows: { window: () => undefined },
    counters,
    logger: silentLogger,
    now: () => now,
    tickMs: 1e9,
  });
  await controller.apply(judged(opts.latency), 'test');
  for (let t = 0; t < 1200 && !['promoted', 'rolled-back'].includes(store.getRollout('svc')!.state.phase); t++) {
    counters.serve(opts.rps ?? 200, stableRate, canaryRate, rng, opts.canaryMs);
    now += 1000;
    await (controller as unknown as { tickAll(): Promise<void> }).tickAll();
  }
  const record = store.getRollout('svc')!;
  return { record, events: store.listEvents('svc'), badCanary: counters.canary.errors, seconds: (now - 1_000_000) / 1000 };
}

describe('sequential judge through the controller', () => {
  it('rolls back a gross regression after a handful of bad canary requests, explaining the test', async () => {
    const { record, events, badCanary } = await drive(0.005, 0.05, 1);
    expect(record.state.phase).toBe('rolled-back');
    expect(badCanary).toBeLessThanOrEqual(20);
    const rollback = events.at(-1)!;
    expect(rollback.type).toBe('rolled-back');
    expect(rollback.message).toContain('sequential judge');
    expect((rollback.data as { rule?: string }).rule).toBe('sequential-judge');
    expect((rollback.data as { judge: { errors: { statistic: number; threshold: number } } }).judge.errors.statistic).toBeGreaterThanOrEqual(Math.log(100) - 1e-9);
  });

  it('promotes a healthy canary once the judge has evidence, well before the 5-minute schedule', async () => {
    const { record, events, seconds } = await drive(0.005, 0.005, 2);
    expect(record.state.phase).toBe('promoted');
    expect(events.some((e) => e.type === 'judged')).toBe(true);
    expect(seconds).toBeLessThan(400);
  });

  it('does not promote on silence: low traffic holds the rollout (paused), never promoted', async () => {
    const { record } = await drive(0.005, 0.005, 3, { rps: 2 });
    expect(record.state.phase).toBe('paused');
    expect(record.state.pauseReason).toBe('inconclusive');
    expect(record.state.message).toContain('not enough evidence');
  });

  it('rolls back a canary that is much slower when latency is judged', async () => {
    const { record, events } = await drive(0.005, 0.005, 4, { latency: true, canaryMs: 40 });
    expect(record.state.phase).toBe('rolled-back');
    expect(events.at(-1)!.message).toMatch(/slower than/);
  });
});
