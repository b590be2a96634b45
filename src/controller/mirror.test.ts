import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { BuiltinProvider } from '../metrics/builtin.js';
import { EmbeddedProxy } from '../proxy/proxy.js';
import { EmbeddedRouter } from '../routers/embedded.js';
import type { Rollout } from '../spec/types.js';
import { MemoryStore } from '../store/memory.js';
import { Controller } from './controller.js';

/**
 * Mirroring judged end to end in-process: the real proxy copies stable's
 * requests to a real canary, the builtin provider reads the mirror's counts,
 * and the controller decides on `mirror-*` metrics before any client is
 * served by the canary.
 */

async function upstream(status: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.statusCode = status;
    res.end(String(status));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let stable: { url: string; server: Server };
let goodCanary: { url: string; server: Server };
let badCanary: { url: string; server: Server };
const client = new Agent({ connections: 4 });
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [stable, goodCanary, badCanary] = await Promise.all([upstream(200), upstream(200), upstream(503)]);
});
afterAll(async () => {
  for (const u of [stable, goodCanary, badCanary]) u.server.close();
  await client.close();
});
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function mirrored(canary: string): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'shadow' },
    spec: {
      service: { listen: '127.0.0.1:0', stable: { upstreams: [stable.url] }, canary: { upstreams: [canary] } },
      steps: [{ analysis: { checks: 2 } }, { setWeight: 50 }, { pause: {} }],
      mirror: { percent: 100 },
      analysis: { interval: 2_000, failureLimit: 0, inconclusiveLimit: 5, minRequests: 10, metrics: [{ name: 'mirror-success-rate', min: 99 }] },
      onFailure: 'rollback',
      onInconclusive: 'pause',
    },
  };
}

async function run(canary: string) {
  let now = 5_000_000;
  const clock = () => now;
  const proxy = new EmbeddedProxy({ now: clock, drainTimeoutMs: 500 });
  const store = new MemoryStore();
  const provider = new BuiltinProvider(proxy, { now: clock });
  const controller = new Controller({ store, router: new EmbeddedRouter(proxy), windows: provider, logger: silentLogger, now: clock, tickMs: 1e9 });
  cleanup.push(() => proxy.close());
  await controller.apply(mirrored(canary), 'test');
  const statuses: number[] = [];
  const tick = (controller as unknown as { tickAll(): Promise<void> }).tickAll.bind(controller);
  for (let second = 0; second < 12; second++) {
    const phase = store.getRollout('shadow')!.state;
    if (phase.phase !== 'progressing' || phase.canaryWeight > 0) break;
    const base = proxy.address('shadow')!;
    for (let i = 0; i < 15; i++) {
      const res = await request(`${base}/page/${i}`, { dispatcher: client });
      statuses.push(res.statusCode);
      await res.body.dump();
    }
    // Copies finish on their own schedule: wait until every one is counted before the clock moves on.
    for (let t = 0; t < 200; t++) {
      const m = proxy.snapshot('shadow')!.mirror!;
      if (m.latency.count === m.requests) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    now += 1_000;
    provider.sample(['shadow']);
    await tick();
  }
  return { record: store.getRollout('shadow')!, events: store.listEvents('shadow'), statuses, snapshot: proxy.snapshot('shadow')! };
}

describe('a rollout judged on mirrored traffic', () => {
  it('rolls back a canary that fails the copies, before it serves a single client', async () => {
    const { record, events, statuses, snapshot } = await run(badCanary.url);
    expect(record.state.phase).toBe('rolled-back');
    expect(record.state.routes).not.toHaveProperty('mirror');
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(snapshot.canary.requests).toBe(0);
    expect(snapshot.mirror!.status5xx).toBeGreaterThanOrEqual(10);
    const rollback = events.find((e) => e.type === 'rolled-back')!;
    expect(rollback.message).toMatch(/mirror-success-rate 0% is below the minimum 99% \(\d+ requests\)/);
  });

  it('moves a canary that answers the copies well on to its first weight', async () => {
    const { record, snapshot } = await run(goodCanary.url);
    expect(record.state.canaryWeight).toBe(50);
    expect(record.state.routes.mirror).toEqual({ percent: 100 });
    expect(snapshot.mirror!.errors).toBe(0);
    expect(record.state.analysis.checks).toBeGreaterThanOrEqual(2);
  });
});
