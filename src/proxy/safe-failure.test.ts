import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Routes } from '../routers/router.js';
import { EmbeddedProxy } from './proxy.js';
import { blackholeUrl, deadUrl, rawExchange, startTestUpstream, eventually } from './testing.js';
import type { TestUpstream } from './testing.js';

let stable: TestUpstream;
let canary: TestUpstream;
const proxies: EmbeddedProxy[] = [];

beforeAll(async () => {
  [stable, canary] = await Promise.all([startTestUpstream('stable'), startTestUpstream('canary')]);
});
afterAll(async () => {
  await Promise.all([stable.close(), canary.close()]);
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function carry(over: Partial<Routes> = {}, options: ConstructorParameters<typeof EmbeddedProxy>[0] = {}): Promise<{ proxy: EmbeddedProxy; base: string }> {
  const proxy = new EmbeddedProxy({ drainTimeoutMs: 500, ...options });
  proxies.push(proxy);
  await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: 0, ...over });
  return { proxy, base: proxy.address('web')! };
}

async function get(base: string, path: string, method = 'GET', body?: string) {
  const res = await request(base + path, { method: method as 'GET', body, headers: { connection: 'close' } });
  return { status: res.statusCode, version: res.headers['x-sluice-version'], body: await res.body.text() };
}

describe('upstream timeouts from the routes', () => {
  it('answers 504 when a canary instance does not accept the connection within timeouts.connectMs', async () => {
    const hole = await blackholeUrl();
    try {
      const { proxy, base } = await carry({ canary: [hole.url], canaryWeight: 100, timeouts: { connectMs: 200 } });
      const t = Date.now();
      const res = await get(base, '/');
      expect(Date.now() - t).toBeLessThan(3_000);
      expect(res).toMatchObject({ status: 504, version: 'canary', body: `sluice: canary upstream ${hole.url} did not accept the connection in time\n` });
      expect(proxy.snapshot('web')!.canary).toMatchObject({ requests: 1, proxyErrors: 1, codes: { '504': 1 } });
    } finally {
      hole.close();
    }
  });

  it('answers 504 when response headers take longer than timeouts.headersMs', async () => {
    const { proxy, base } = await carry({ timeouts: { headersMs: 150 } });
    expect(await get(base, '/hang')).toMatchObject({ status: 504, body: `sluice: stable upstream ${stable.url} did not send response headers in time\n` });
    expect(proxy.snapshot('web')!.stable).toMatchObject({ proxyErrors: 1, codes: { '504': 1 } });
  });

  it('cuts a response whose upstream falls silent for timeouts.idleMs, counted as a proxy error', async () => {
    const { proxy, base } = await carry({ timeouts: { idleMs: 150 } });
    const res = await request(base + '/stall');
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    await eventually(() => expect(proxy.snapshot('web')!.stable).toMatchObject({ proxyErrors: 1, codes: { '200': 1 } }));
  });

  it('closes a client that goes silent mid-request after timeouts.idleMs and counts 499', async () => {
    const { proxy, base } = await carry({ timeouts: { idleMs: 200 } });
    const t = Date.now();
    const res = await rawExchange(base, ['POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc'], 5_000);
    expect(res.closed || res.text === '').toBe(true);
    expect(Date.now() - t).toBeLessThan(3_000);
    await eventually(() => expect(proxy.snapshot('web')!.stable.codes).toEqual({ '499': 1 }));
  });
});

describe('failing instances', () => {
  it('answers 502 when a canary instance drops the connection mid-request, counted against canary', async () => {
    const { proxy, base } = await carry({ canaryWeight: 100 });
    expect(await get(base, '/crash')).toMatchObject({ status: 502, version: 'canary', body: `sluice: canary upstream ${canary.url} reset the connection\n` });
    expect(proxy.snapshot('web')!.canary).toMatchObject({ requests: 1, proxyErrors: 1, errors: 1 });
    expect(proxy.snapshot('web')!.stable.requests).toBe(0);
  });

  it('with retryToStable, sends an idempotent bodiless request the canary refused to stable, still counting the canary error', async () => {
    const { proxy, base } = await carry({ canary: [await deadUrl()], canaryWeight: 100, retryToStable: true });
    expect(await get(base, '/')).toMatchObject({ status: 200, version: 'stable', body: 'stable' });
    expect(await get(base, '/count', 'POST', 'body')).toMatchObject({ status: 502, version: 'canary' });
    const snap = proxy.snapshot('web')!;
    expect(snap.canary).toMatchObject({ requests: 2, proxyErrors: 2, errors: 2, retried: 1, codes: { '502': 2 } });
    expect(snap.stable).toMatchObject({ requests: 1, errors: 0, codes: { '200': 1 } });
  });

  it('without retryToStable, a refused canary request is a 502', async () => {
    const { base } = await carry({ canary: [await deadUrl()], canaryWeight: 100 });
    expect(await get(base, '/')).toMatchObject({ status: 502, version: 'canary' });
  });

  it('ejects an instance after consecutive failures and tries it again when the ejection ends', async () => {
    let now = 1_700_000_000_000;
    const dead = await deadUrl();
    const { proxy, base } = await carry(
      { canary: [dead, canary.url], canaryWeight: 100 },
      { now: () => now, outlier: { consecutiveFailures: 2, baseEjectionMs: 60_000 } },
    );
    const bodies: string[] = [];
    for (let i = 0; i < 12; i++) bodies.push((await get(base, '/')).body);
    // Round-robin alternates: the dead instance fails twice, then only the live one answers.
    expect(bodies.filter((b) => b.includes('refused'))).toHaveLength(2);
    expect(bodies.filter((b) => b === 'canary')).toHaveLength(10);
    expect(proxy.snapshot('web')!.canary).toMatchObject({ proxyErrors: 2, ejections: 1 });
    now += 60_001;
    const after: string[] = [];
    for (let i = 0; i < 4; i++) after.push((await get(base, '/')).body);
    expect(after.filter((b) => b.includes('refused')).length).toBeGreaterThan(0);
  });

  it('never leaves a version without instances: with every canary instance ejected, canary traffic still goes to them', async () => {
    const { proxy, base } = await carry({ canary: [await deadUrl()], canaryWeight: 100 }, { outlier: { consecutiveFailures: 1 } });
    for (let i = 0; i < 3; i++) expect(await get(base, '/')).toMatchObject({ status: 502, version: 'canary' });
    expect(proxy.snapshot('web')!.stable.requests).toBe(0);
  });
});

describe('slow and greedy clients', () => {
  it('answers 408 and closes a connection whose headers do not arrive within timeouts.clientHeadersMs (slowloris)', async () => {
    const { proxy, base } = await carry({ timeouts: { clientHeadersMs: 300 } });
    const drip = ['GET / HTTP/1.1\r\n', 'Host: a\r\n', ...Array.from({ length: 30 }, (_, i) => `X-${i}: y\r\n`)];
    const t = Date.now();
    const res = await rawExchange(base, drip.map((line) => Buffer.from(line)), 10_000);
    expect(res.closed).toBe(true);
    expect(res.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(proxy.snapshot('web')!.rejected).toEqual({ 'client-timeout': 1 });
    expect(stable.received).toBeGreaterThanOrEqual(0);
    expect((await get(base, '/')).status).toBe(200);
  }, 15_000);

  it('closes connections beyond maxConnections on accept, and accepts again once some close', async () => {
    const { base } = await carry({}, { maxConnections: 3 });
    const { hostname, port } = new URL(base);
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect({ host: hostname, port: Number(port) });
        s.on('error', () => undefined);
        s.once('connect', () => resolve(s));
      });
    const held = await Promise.all([open(), open(), open()]);
    const extra = await open();
    await new Promise<void>((resolve) => extra.once('close', () => resolve()));
    held[0].destroy();
    await eventually(async () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const res = await rawExchange(base, ['GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    expect(res.text).toMatch(/^HTTP\/1\.1 200/);
    for (const s of held) s.destroy();
  });
});
