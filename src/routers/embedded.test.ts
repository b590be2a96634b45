import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedProxy } from '../proxy/proxy.js';
import { deadUrl, startTestUpstream } from '../proxy/testing.js';
import type { TestUpstream } from '../proxy/testing.js';
import { runRouterContract } from './contract.js';
import { EmbeddedRouter } from './embedded.js';
import type { Routes } from './router.js';
import { allToStable } from './router.js';

/** The garbage collector, exposed at run time (tests run without --expose-gc). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

runRouterContract(
  'embedded',
  () => new EmbeddedRouter(new EmbeddedProxy({ drainTimeoutMs: 1_000 })),
  (r) => (r as EmbeddedRouter).proxy.close(),
);

describe('EmbeddedRouter with real traffic', () => {
  let stable: TestUpstream;
  let canary: TestUpstream;
  let client: Agent;
  let proxy: EmbeddedProxy;
  let router: EmbeddedRouter;

  beforeAll(async () => {
    [stable, canary] = await Promise.all([startTestUpstream('stable'), startTestUpstream('canary')]);
    client = new Agent({ connections: 32 });
  });
  afterAll(async () => {
    await Promise.all([stable.close(), canary.close(), client.close()]);
  });
  afterEach(async () => {
    await proxy.close();
  });

  async function start(weight: number, over: Partial<Routes> = {}): Promise<string> {
    proxy = new EmbeddedProxy({ drainTimeoutMs: 2_000 });
    router = new EmbeddedRouter(proxy);
    await router.setRoutes('web', routes(weight, over));
    return proxy.address('web')!;
  }

  function routes(weight: number, over: Partial<Routes> = {}): Routes {
    return { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: weight, ...over };
  }

  async function hit(base: string, path = '/'): Promise<{ status: number; version: string; body: string }> {
    const res = await request(base + path, { dispatcher: client });
    const body = await res.body.text();
    return { status: res.statusCode, version: String(res.headers['x-sluice-version']), body };
  }

  /** Sends `n` requests, `concurrency` at a time; counts answers per body. */
  async function load(base: string, n: number, concurrency = 16): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) {
          const r = await hit(base);
          const key = r.status === 200 ? r.body : `status ${r.status}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }),
    );
    return seen;
  }

  it.each([
    [0, 0, 0],
    [100, 400, 400],
    // 2,000 draws at p = 0.3: mean 600, sd 20.5; ±5 sd keeps flakes below one in a million.
    [30, 498, 702],
  ])('weight %d sends between %d and %d of the requests to canary, and counts them', async (w, lo, hi) => {
    const n = w === 30 ? 2_000 : 400;
    const base = await start(w);
    const seen = await load(base, n);
    const toCanary = seen.get('canary') ?? 0;
    expect(toCanary).toBeGreaterThanOrEqual(lo);
    expect(toCanary).toBeLessThanOrEqual(hi);
    expect(toCanary + (seen.get('stable') ?? 0)).toBe(n);
    const snap = proxy.snapshot('web')!;
    expect(snap.canary.requests).toBe(toCanary);
    expect(snap.stable.requests).toBe(n - toCanary);
    expect(snap.stable.latency.count + snap.canary.latency.count).toBe(n);
    expect(snap.stable.errors + snap.canary.errors).toBe(0);
  });

  it('answers 502 for a dead canary and counts it against canary only', async () => {
    const dead = await deadUrl();
    const base = await start(50, { canary: [dead] });
    const seen = await load(base, 200, 8);
    const failed = seen.get('status 502') ?? 0;
    expect(failed).toBeGreaterThan(0);
    expect(failed + (seen.get('stable') ?? 0)).toBe(200);
    const snap = proxy.snapshot('web')!;
    expect(snap.canary).toMatchObject({ requests: failed, proxyErrors: failed, errors: failed });
    expect(snap.stable.errors).toBe(0);
  });

  it('streams a 50 MB upload and a 50 MB download without buffering them', async () => {
    const base = await start(0);
    const size = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    // Live memory, not garbage: collect before each sample (client, proxy and upstream share this process).
    const gc = exposeGc();
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakBuffers = before.arrayBuffers;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    }, 25);
    try {
      const upload = Readable.from(
        (function* () {
          for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
        })(),
      );
      const up = await request(base + '/count', { dispatcher: client, method: 'POST', body: upload });
      expect(await up.body.text()).toBe(String(size));

      const down = await request(base + `/bytes?n=${size}`, { dispatcher: client });
      let received = 0;
      for await (const c of down.body) received += (c as Buffer).length;
      expect(received).toBe(size);
    } finally {
      clearInterval(sampler);
    }
    // Live buffers stay at a few MiB (socket-sized chunks in flight); buffering either body would hold 50.
    // 100 MB pass through; buffering them would show here. A few MiB of socket and pool buffers is normal.
    expect(peakBuffers - before.arrayBuffers).toBeLessThan(32 * 1024 * 1024);
    // RSS is loose (the allocator keeps freed pages): buffering both bodies would add 100 MiB or more.
    expect(peakRss - before.rss).toBeLessThan(80 * 1024 * 1024);
  });

  it('passes backpressure through: a client that stops reading stops the upstream', async () => {
    const base = await start(0);
    const size = 200 * 1024 * 1024;
    const sentBefore = stable.bytesSent;
    const res = await request(base + `/bytes?n=${size}`, { dispatcher: client });
    const it = res.body[Symbol.asyncIterator]();
    await it.next(); // read one chunk, then stall
    // The upstream fills the socket buffers on both hops and stops; poll until it has stalled.
    let last = -1;
    const until = Date.now() + 5_000;
    while (stable.bytesSent !== last && Date.now() < until) {
      last = stable.bytesSent;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sent = stable.bytesSent - sentBefore;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    res.body.destroy();
  });

  it('changes weights and instance lists under concurrent load without failing a request', async () => {
    const canary2 = await startTestUpstream('canary');
    const base = await start(0);
    let failures = 0;
    let done = 0;
    let stop = false;
    const workers = Array.from({ length: 12 }, async () => {
      while (!stop) {
        const r = await hit(base).catch(() => ({ status: 0, version: '', body: '' }));
        if (r.status !== 200) failures++;
        done++;
      }
    });
    const waitFor = async (count: number): Promise<void> => {
      const until = Date.now() + 10_000;
      while (done < count && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      for (const step of [
        routes(10),
        routes(50),
        routes(50, { canary: [canary.url, canary2.url] }),
        routes(100, { canary: [canary2.url] }),
        routes(0, { stable: [stable.url, canary2.url] }),
        routes(0),
      ]) {
        await router.setRoutes('web', step);
        // The next request after setRoutes resolves obeys the new routes.
        const r = await hit(base);
        if (step.canaryWeight === 100) expect(r.version).toBe('canary');
        if (step.canaryWeight === 0) expect(r.version).toBe('stable');
        await waitFor(done + 100);
      }
    } finally {
      stop = true;
      await Promise.all(workers);
      await canary2.close();
    }
    expect(done).toBeGreaterThan(500);
    expect(failures).toBe(0);
  });

  it('rolls back in one synchronous call well under a millisecond', async () => {
    const base = await start(50);
    const timings: number[] = [];
    for (let i = 0; i < 20; i++) {
      await router.setRoutes('web', routes(50));
      const t0 = performance.now();
      const done = router.setRoutes('web', allToStable(routes(50)));
      timings.push(performance.now() - t0);
      // Already in effect before the promise settles: the proxy carries weight 0.
      expect(proxy.getRoutes('web')?.canaryWeight).toBe(0);
      await done;
    }
    for (let i = 0; i < 20; i++) expect((await hit(base)).version).toBe('stable');
    timings.sort((a, b) => a - b);
    expect(timings[timings.length >> 1]).toBeLessThan(1);
    expect(timings[timings.length - 1]).toBeLessThan(5);
  });
});
