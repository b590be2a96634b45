import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../flags/bucketing.js';
import { allToStable } from '../routers/router.js';
import type { Routes } from '../routers/router.js';
import { BuiltinProvider } from '../metrics/builtin.js';
import { EmbeddedProxy } from './proxy.js';
import type { EmbeddedProxyOptions } from './proxy.js';
import { eventually } from './testing.js';

/**
 * Sticky assignment, A/B rules and mirroring through the real proxy, with real
 * upstreams that record what reached them.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body as it arrives. */
  body: string;
}

interface Upstream {
  url: string;
  seen: Seen[];
  /** Responses to `/hang` held open; released by `release()`. */
  held: ServerResponse[];
  release(): void;
  close(): Promise<void>;
}

async function startUpstream(version: string): Promise<Upstream> {
  const seen: Seen[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    seen.push(entry);
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => (entry.body += chunk));
    if (req.url === '/hang') {
      held.push(res);
      return;
    }
    if (req.url === '/fail') res.statusCode = 500;
    if (req.url === '/set-cookie') res.setHeader('set-cookie', ['app=1; Path=/', 'theme=dark; Path=/']);
    res.setHeader('x-upstream', version);
    res.end(version);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    held,
    release: () => held.splice(0).forEach((r) => r.end('late')),
    close: () => {
      held.splice(0).forEach((r) => r.destroy());
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

let stable: Upstream;
let canary: Upstream;
let client: Agent;
const proxies: EmbeddedProxy[] = [];

beforeAll(async () => {
  [stable, canary] = await Promise.all([startUpstream('stable'), startUpstream('canary')]);
  client = new Agent({ keepAliveTimeout: 1_000, connections: 20 });
});
afterAll(async () => {
  await Promise.all([stable.close(), canary.close(), client.close()]);
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  stable.seen.length = 0;
  canary.seen.length = 0;
});

async function carry(over: Partial<Routes>, options: EmbeddedProxyOptions = {}): Promise<{ proxy: EmbeddedProxy; base: string }> {
  const proxy = new EmbeddedProxy({ drainTimeoutMs: 1_000, ...options });
  proxies.push(proxy);
  await proxy.setRoutes('shop', { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: 0, ...over });
  return { proxy, base: proxy.address('shop')! };
}

async function get(base: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string) {
  const res = await request(base + path, { dispatcher: client, headers, method: method as 'GET', body });
  const text = await res.body.text();
  return { status: res.statusCode, version: res.headers['x-sluice-version'] as string, headers: res.headers, body: text };
}

/** Polls `check` until it passes or the deadline expires. */
const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);

async function versionsOf(base: string, header: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const u of users) out.set(u, (await get(base, '/', { [header]: u })).version);
  return out;
}

describe('sticky assignment', () => {
  it('sends exactly the users whose bucket is under weight × 1000 to the canary, the same way every time', async () => {
    const { base } = await carry({ canaryWeight: 30, stickiness: { header: 'x-user-id' } });
    const first = await versionsOf(base, 'X-User-Id');
    const again = await versionsOf(base, 'x-user-id');
    expect(again).toEqual(first);
    for (const u of users) expect(first.get(u), u).toBe(bucketOf('shop', u) < 30_000 ? 'canary' : 'stable');
    const share = [...first.values()].filter((v) => v === 'canary').length / users.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
  });

  it('raising the weight only moves users from stable to canary, never back', async () => {
    const { proxy, base } = await carry({ canaryWeight: 5, stickiness: { cookie: 'uid' } });
    let previous = new Set<string>();
    for (const weight of [5, 20, 45, 70, 95]) {
      await proxy.setRoutes('shop', { ...proxy.getRoutes('shop')!, canaryWeight: weight });
      const inCanary = new Set<string>();
      for (const u of users) if ((await get(base, '/', { cookie: `lang=en; uid=${u}` })).version === 'canary') inCanary.add(u);
      for (const u of previous) expect(inCanary.has(u), `${u} flipped back to stable at ${weight}%`).toBe(true);
      expect(inCanary.size).toBeGreaterThan(previous.size);
      previous = inCanary;
    }
  });

  it('gives a request without a key an anonymous cookie that keeps it on one version, next to the upstream cookies', async () => {
    const { base } = await carry({ canaryWeight: 50, stickiness: { header: 'x-user-id', anonymousCookie: { name: 'sk', maxAge: 3_600_000 } } });
    const versions = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const first = await get(base, '/set-cookie');
      const cookies = first.headers['set-cookie'] as string[];
      expect(cookies).toEqual(expect.arrayContaining(['app=1; Path=/', 'theme=dark; Path=/']));
      const ours = cookies.find((c) => c.startsWith('sk='))!;
      expect(ours).toMatch(/^sk=[0-9a-f-]{36}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
      const key = ours.slice(3, 39);
      expect(first.version).toBe(bucketOf('shop', key) < 50_000 ? 'canary' : 'stable');
      versions.add(first.version);
      for (let k = 0; k < 3; k++) {
        const next = await get(base, '/', { cookie: `sk=${key}` });
        expect(next.version).toBe(first.version);
        expect(next.headers['set-cookie']).toBeUndefined();
      }
    }
    expect(versions).toEqual(new Set(['stable', 'canary']));
    // A key in the header wins over the anonymous cookie, and sets no cookie.
    const keyed = await get(base, '/', { 'x-user-id': 'user-7', cookie: 'sk=whatever' });
    expect(keyed.version).toBe(bucketOf('shop', 'user-7') < 50_000 ? 'canary' : 'stable');
    expect(keyed.headers['set-cookie']).toBeUndefined();
  });

  it('splits keyless requests at random when there is no anonymous cookie, and obeys 0 and 100', async () => {
    const { proxy, base } = await carry({ canaryWeight: 50, stickiness: { header: 'x-user-id' } });
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add((await get(base)).version);
    expect(seen).toEqual(new Set(['stable', 'canary']));
    await proxy.setRoutes('shop', { ...proxy.getRoutes('shop')!, canaryWeight: 100 });
    expect((await get(base, '/', { 'x-user-id': 'anyone' })).version).toBe('canary');
    await proxy.setRoutes('shop', allToStable(proxy.getRoutes('shop')!));
    expect((await get(base, '/', { 'x-user-id': 'anyone' })).version).toBe('stable');
  });
});

describe('A/B match rules', () => {
  const match: Routes['match'] = [
    { headers: { 'x-canary': { exact: 'always' } } },
    { headers: { 'user-agent': { regex: 'Beta/[0-9]+$' }, 'x-region': { prefix: 'eu-' } } },
    { cookies: { plan: { exact: 'gold' } } },
    { query: { preview: { exact: 'new ui' } } },
  ];

  it.each([
    ['a header equal to the rule', 'canary', '/', { 'x-canary': 'always' }],
    ['a header that differs', 'stable', '/', { 'x-canary': 'sometimes' }],
    ['both conditions of one rule', 'canary', '/', { 'user-agent': 'App Beta/42', 'x-region': 'eu-west' }],
    ['only one condition of that rule', 'stable', '/', { 'user-agent': 'App Beta/42', 'x-region': 'us-east' }],
    ['a regex that does not match', 'stable', '/', { 'user-agent': 'App Beta/42 (x)', 'x-region': 'eu-west' }],
    ['a cookie among others', 'canary', '/', { cookie: 'a=1; plan=gold; b=2' }],
    ['a cookie with another value', 'stable', '/', { cookie: 'plan=golden' }],
    ['a percent-encoded query parameter', 'canary', '/x?a=1&preview=new%20ui', {}],
    ['a query parameter with a plus for the space', 'canary', '/x?preview=new+ui', {}],
    ['no header, cookie or parameter', 'stable', '/x?other=new%20ui', {}],
  ])('at weight 0, %s goes to %s', async (_what, version, path, headers) => {
    const { base } = await carry({ match });
    const res = await get(base, path, headers as Record<string, string>);
    expect(res.version).toBe(version);
    expect(res.body).toBe(version);
  });

  it('wins over sticky assignment, and a rollback sends matching requests to stable again', async () => {
    const { proxy, base } = await carry({ canaryWeight: 10, stickiness: { header: 'x-user-id' }, match: [{ headers: { 'x-canary': { exact: '1' } } }] });
    const stableUser = users.find((u) => bucketOf('shop', u) >= 10_000)!;
    expect((await get(base, '/', { 'x-user-id': stableUser })).version).toBe('stable');
    expect((await get(base, '/', { 'x-user-id': stableUser, 'x-canary': '1' })).version).toBe('canary');
    await proxy.setRoutes('shop', allToStable(proxy.getRoutes('shop')!));
    expect(proxy.getRoutes('shop')!.match).toBeUndefined();
    expect((await get(base, '/', { 'x-user-id': stableUser, 'x-canary': '1' })).version).toBe('stable');
  });

  it('never sends a match to a canary without instances, and counts matched requests as canary', async () => {
    const { proxy, base } = await carry({ canary: [], match: [{ headers: { 'x-canary': { exact: '1' } } }] });
    expect((await get(base, '/', { 'x-canary': '1' })).version).toBe('stable');
    await proxy.setRoutes('shop', { ...proxy.getRoutes('shop')!, canary: [canary.url] });
    for (let i = 0; i < 5; i++) expect((await get(base, '/', { 'x-canary': '1' })).version).toBe('canary');
    await get(base, '/');
    const snap = proxy.snapshot('shop')!;
    expect(snap.canary.requests).toBe(5);
    expect(snap.stable.requests).toBe(2);
  });

  it('refuses routes with a regex the linear-time engine cannot run', async () => {
    const proxy = new EmbeddedProxy();
    proxies.push(proxy);
    await expect(
      proxy.setRoutes('shop', { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: 0, match: [{ headers: { 'x-a': { regex: '(a+)\\1' } } }] }),
    ).rejects.toMatchObject({ code: 'SLUICE_ROUTES_INVALID', message: expect.stringContaining('match[0] headers.x-a regex cannot be matched in linear time') });
  });
});

describe('mirroring', () => {
  it('answers every client from stable and copies the requests to the canary, counted apart', async () => {
    const { proxy, base } = await carry({ mirror: { percent: 100 } });
    for (let i = 0; i < 20; i++) {
      const res = await get(base, `/item/${i}?q=1`, { 'x-trace': String(i) });
      expect(res.version).toBe('stable');
      expect(res.body).toBe('stable');
    }
    await eventually(() => expect(canary.seen).toHaveLength(20));
    expect(canary.seen.map((s) => s.url).sort()).toEqual(stable.seen.map((s) => s.url).sort());
    expect(canary.seen.every((s) => s.headers['x-sluice-mirror'] === '1' && s.headers['x-trace'] !== undefined)).toBe(true);
    expect(stable.seen.every((s) => s.headers['x-sluice-mirror'] === undefined)).toBe(true);
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.codes).toEqual({ '200': 20 }));
    const snap = proxy.snapshot('shop')!;
    expect(snap.stable.requests).toBe(20);
    expect(snap.canary.requests).toBe(0);
    expect(snap.mirror!.requests).toBe(20);
    expect(snap.mirror!.latency.count).toBe(20);
    const text = proxy.metricsText();
    expect(text).toContain('sluice_requests_total{service="shop",version="canary-mirror",code="200"} 20');
    expect(text).toContain('sluice_requests_total{service="shop",version="canary",code="200"} 0');
    expect(text).toContain('sluice_mirror_skipped_total{service="shop",reason="body"} 0');
  });

  it('copies about the configured share, only of what stable answers', async () => {
    const { proxy, base } = await carry({ canaryWeight: 20, mirror: { percent: 50 } });
    const versions: string[] = [];
    for (let i = 0; i < 200; i++) versions.push((await get(base, `/r${i}`)).version);
    const toStable = versions.filter((v) => v === 'stable').length;
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.latency.count).toBe(proxy.snapshot('shop')!.mirror!.requests));
    const mirrored = proxy.snapshot('shop')!.mirror!.requests;
    expect(mirrored).toBeGreaterThan(toStable * 0.3);
    expect(mirrored).toBeLessThan(toStable * 0.7);
    expect(canary.seen.filter((s) => s.headers['x-sluice-mirror'] === '1')).toHaveLength(mirrored);
  });

  it('copies a request body up to maxBodyBytes, stable getting every byte at its own pace, and skips longer ones', async () => {
    const { proxy, base } = await carry({ mirror: { percent: 100 } }, { mirror: { maxBodyBytes: 1_000 } });
    expect((await get(base, '/upload', { 'content-type': 'text/plain' }, 'POST', 'small payload')).body).toBe('stable');
    // Chunked (no Content-Length): the copy gets a Content-Length of what it holds.
    const chunked = await request(base + '/chunked', { dispatcher: client, method: 'PUT', body: Readable.from([Buffer.from('part one, '), Buffer.from('part two')]) });
    await chunked.body.text();
    const big = 'x'.repeat(5_000);
    expect((await get(base, '/big', {}, 'POST', big)).status).toBe(200);
    const copies = () => canary.seen.filter((s) => s.headers['x-sluice-mirror'] === '1');
    await eventually(() => expect(copies().map((s) => [s.method, s.url, s.body])).toEqual([['POST', '/upload', 'small payload'], ['PUT', '/chunked', 'part one, part two']]));
    expect(copies()[1].headers['content-length']).toBe('18');
    expect(stable.seen.map((s) => [s.url, s.body.length])).toEqual([['/upload', 13], ['/chunked', 18], ['/big', 5_000]]);
    const snap = proxy.snapshot('shop')!;
    expect(snap.mirrorSkipped).toEqual({ body: 1, busy: 0 });
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.codes).toEqual({ '200': 2 }));
  });

  it("keeps a hanging canary's copies bounded and away from the client, and cuts them off after the timeout", async () => {
    const { proxy, base } = await carry({ mirror: { percent: 100 } }, { mirror: { maxInFlight: 3, timeoutMs: 300 } });
    const started = Date.now();
    // /hang never answers on either side: stable's own answer is released below, the canary's never.
    const pending = Array.from({ length: 8 }, () => get(base, '/hang'));
    await eventually(() => expect(stable.held).toHaveLength(8));
    stable.release();
    const answers = await Promise.all(pending);
    expect(answers.every((a) => a.version === 'stable' && a.body === 'late')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    const snap = proxy.snapshot('shop')!;
    expect(snap.mirror!.requests).toBe(3);
    expect(snap.mirrorSkipped!.busy).toBe(5);
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.proxyErrors).toBe(3));
    expect(proxy.snapshot('shop')!.mirror!.codes).toEqual({ '504': 3 });
    expect(proxy.snapshot('shop')!.stable.errors).toBe(0);
    // Slots are free again once the copies timed out.
    await get(base, '/after');
    expect(proxy.snapshot('shop')!.mirror!.requests).toBe(4);
  });

  it('gives the builtin provider a mirror window beside the canary and stable ones', async () => {
    let now = 1_000_000;
    const { proxy, base } = await carry({ canaryWeight: 0, mirror: { percent: 100 } }, { now: () => now });
    const builtin = new BuiltinProvider(proxy, { now: () => now });
    builtin.sample(['shop']);
    now += 1000;
    for (let i = 0; i < 5; i++) await get(base, '/fail');
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.latency.count).toBe(5));
    now += 1000;
    const w = builtin.window('shop', 1_000_000, now)!;
    expect(w.stable).toMatchObject({ requests: 5, errors: 5 });
    expect(w.canary).toEqual({ requests: 0, errors: 0 });
    expect(w.mirror).toMatchObject({ requests: 5, errors: 5, successRate: 0 });
  });

  it('answers clients normally when the canary is down, counting the failed copies as mirror errors', async () => {
    const down = 'http://127.0.0.1:1';
    const { proxy, base } = await carry({ canary: [down], mirror: { percent: 100 } });
    for (let i = 0; i < 10; i++) expect((await get(base, '/')).status).toBe(200);
    await eventually(() => expect(proxy.snapshot('shop')!.mirror!.proxyErrors).toBe(10));
    const snap = proxy.snapshot('shop')!;
    expect(snap.stable.errors).toBe(0);
    expect(snap.canary.errors).toBe(0);
  });
});
