import cluster from 'node:cluster';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Routes } from '../routers/router.js';
import { ProxyError } from './errors.js';
import { EmbeddedProxy } from './proxy.js';
import { startTestUpstream, eventually } from './testing.js';
import type { TestUpstream } from './testing.js';

// Worker processes run the compiled proxy (dist/proxy/worker-main.js, built by the test global setup).
let stable: TestUpstream;
let canary: TestUpstream;
let proxy: EmbeddedProxy;
let routes: Routes;

beforeAll(async () => {
  [stable, canary] = await Promise.all([startTestUpstream('stable'), startTestUpstream('canary')]);
  proxy = new EmbeddedProxy({ workers: 2, drainTimeoutMs: 500 });
  routes = { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: 0 };
  await proxy.setRoutes('web', routes);
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([stable.close(), canary.close()]);
});

/** One request on a connection of its own, so the requests spread over the workers. */
async function once(path = '/'): Promise<{ status: number; body: string }> {
  const res = await request(proxy.address('web')! + path, { headers: { connection: 'close' } });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('EmbeddedProxy with worker processes', () => {
  it('applies a weight change in every worker before setRoutes resolves', async () => {
    await proxy.setRoutes('web', { ...routes, canaryWeight: 100 });
    const after = await Promise.all(Array.from({ length: 24 }, () => once()));
    expect(after.map((r) => r.body)).toEqual(Array(24).fill('canary'));
    await proxy.setRoutes('web', { ...routes, canaryWeight: 0 });
    const back = await Promise.all(Array.from({ length: 24 }, () => once()));
    expect(back.map((r) => r.body)).toEqual(Array(24).fill('stable'));
    expect(proxy.getRoutes('web')).toEqual({ ...routes, canaryWeight: 0 });
  });

  it('merges the counts of every worker exactly', async () => {
    // Counters arrive with every change a worker applies: exact as of this point.
    await proxy.setRoutes('web', { ...routes, canaryWeight: 50 });
    const before = proxy.snapshot('web')!;
    const served = { stable: 0, canary: 0 };
    const results = await Promise.all(Array.from({ length: 60 }, () => once()));
    for (const r of results) served[r.body as 'stable' | 'canary']++;
    await eventually(() => {
      const snap = proxy.snapshot('web')!;
      expect(snap.stable.requests - before.stable.requests).toBe(served.stable);
      expect(snap.canary.requests - before.canary.requests).toBe(served.canary);
      expect(snap.canary.latency.count - before.canary.latency.count).toBe(served.canary);
    });
    expect(served.stable).toBeGreaterThan(0);
    expect(served.canary).toBeGreaterThan(0);
    const text = proxy.metricsText();
    const total = proxy.snapshot('web')!.stable.requests;
    expect(text).toContain(`sluice_requests_total{service="web",version="stable",code="200"} ${total}`);
  });

  it('replaces a worker that dies, keeps its counts, and keeps serving', async () => {
    await proxy.setRoutes('web', { ...routes, canaryWeight: 0 });
    await Promise.all(Array.from({ length: 10 }, () => once()));
    const counted = proxy.snapshot('web')!.stable.requests;
    const victim = Object.values(cluster.workers ?? {})[0]!;
    const died = new Promise<void>((resolve) => victim.once('exit', () => resolve()));
    victim.process.kill('SIGKILL');
    await died;
    // What the dead worker had reported is kept: the merged count never goes back.
    expect(proxy.snapshot('web')!.stable.requests).toBeGreaterThanOrEqual(counted);
    await eventually(() => expect(Object.keys(cluster.workers ?? {})).toHaveLength(2), 10_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => once()));
    expect(results.every((r) => r.status === 200 && r.body === 'stable')).toBe(true);
    // A change still reaches every worker, the replacement included.
    await proxy.setRoutes('web', { ...routes, canaryWeight: 100 });
    const after = await Promise.all(Array.from({ length: 20 }, () => once()));
    expect(after.map((r) => r.body)).toEqual(Array(20).fill('canary'));
  }, 20_000);

  it('reports a busy address as SLUICE_PROXY_LISTEN from the workers', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    try {
      const err = await proxy.setRoutes('other', { ...routes, listen: busy }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect((err as ProxyError).code).toBe('SLUICE_PROXY_LISTEN');
      expect(((err as ProxyError).cause as { code?: string }).code).toBe('EADDRINUSE');
      expect(proxy.getRoutes('other')).toBeUndefined();
    } finally {
      blocker.close();
    }
  });
});
