import { request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Routes } from '../routers/router.js';
import { ProxyError } from './errors.js';
import { EmbeddedProxy } from './proxy.js';
import { deadUrl, startTestUpstream, eventually } from './testing.js';
import type { TestUpstream } from './testing.js';

let stable: TestUpstream;
let canary: TestUpstream;
let client: Agent;
const proxies: EmbeddedProxy[] = [];

beforeAll(async () => {
  [stable, canary] = await Promise.all([startTestUpstream('stable'), startTestUpstream('canary')]);
  client = new Agent({ keepAliveTimeout: 1_000 });
});
afterAll(async () => {
  await Promise.all([stable.close(), canary.close(), client.close()]);
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

function newProxy(options: ConstructorParameters<typeof EmbeddedProxy>[0] = {}): EmbeddedProxy {
  const p = new EmbeddedProxy({ drainTimeoutMs: 2_000, ...options });
  proxies.push(p);
  return p;
}

function routes(over: Partial<Routes> = {}): Routes {
  return { listen: '127.0.0.1:0', stable: [stable.url], canary: [canary.url], canaryWeight: 0, ...over };
}

async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(base + path, { dispatcher: client, headers });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

function nodeGet(base: string, path: string, headers: Record<string, string>) {
  const { port } = new URL(base);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` until it passes or the deadline expires. */
/** 'connected' or the error code of a fresh TCP connection to `base`. */
function connectOutcome(base: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function rejection(p: Promise<unknown>): Promise<ProxyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProxyError);
  return err as ProxyError;
}

describe('EmbeddedProxy forwarding', () => {
  it('forwards method, path and query, strips hop-by-hop headers and adds forwarding headers', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    const base = proxy.address('web')!;
    // node:http, not undici: undici's client never sends the Connection header it is given.
    const res = await nodeGet(base, '/headers?a=1&b=two', {
      'x-custom': 'kept',
      connection: 'keep-alive, x-drop-me',
      'x-drop-me': 'listed in Connection',
      'proxy-authorization': 'secret',
      te: 'trailers',
      'x-forwarded-for': '203.0.113.9',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-sluice-version']).toBe('stable');
    const seen = JSON.parse(res.body) as { method: string; url: string; headers: Record<string, string> };
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/headers?a=1&b=two');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['x-drop-me']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(base).host);
    expect(seen.headers.host).toBe(new URL(stable.url).host);
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(seen.headers['x-request-id']);
  });

  it('passes a client x-request-id through unchanged', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    const res = await get(proxy.address('web')!, '/headers', { 'x-request-id': 'req-123' });
    expect(JSON.parse(res.body).headers['x-request-id']).toBe('req-123');
    expect(res.headers['x-request-id']).toBe('req-123');
  });

  it('streams a request body to the upstream and the response back', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    const payload = Buffer.alloc(3 * 1024 * 1024 + 7, 0x42);
    const res = await request(proxy.address('web')! + '/echo', {
      dispatcher: client,
      method: 'POST',
      body: payload,
    });
    const back = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(back.equals(payload)).toBe(true);
  });

  it('round-robins within a version and sends canary traffic by the injected random draw', async () => {
    const other = await startTestUpstream('stable-2');
    try {
      const draws = [0.05, 0.5, 0.05, 0.95];
      let i = 0;
      const proxy = newProxy({ random: () => draws[i++ % draws.length] });
      await proxy.setRoutes('web', routes({ stable: [stable.url, other.url], canaryWeight: 10 }));
      const seen: string[] = [];
      for (let k = 0; k < 4; k++) seen.push((await get(proxy.address('web')!, '/')).body);
      expect(seen).toEqual(['canary', 'stable', 'canary', 'stable-2']);
    } finally {
      await other.close();
    }
  });

  it('sends canary-weighted traffic to stable when the canary list is empty', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes({ canary: [], canaryWeight: 100 }));
    const res = await get(proxy.address('web')!, '/');
    expect(res.body).toBe('stable');
    expect(proxy.snapshot('web')!.canary.requests).toBe(0);
  });
});

describe('EmbeddedProxy failures and counters', () => {
  it('answers 502 naming the version when an upstream refuses, and counts a proxy error', async () => {
    const dead = await deadUrl();
    const proxy = newProxy();
    await proxy.setRoutes('web', routes({ canary: [dead], canaryWeight: 100 }));
    const res = await get(proxy.address('web')!, '/');
    expect(res.status).toBe(502);
    expect(res.headers['x-sluice-version']).toBe('canary');
    expect(res.body).toBe(`sluice: canary upstream ${dead} refused the connection\n`);
    const snap = proxy.snapshot('web')!;
    expect(snap.canary).toMatchObject({ requests: 1, proxyErrors: 1, status5xx: 0, errors: 1 });
    expect(snap.canary.latency.count).toBe(1);
    expect(snap.stable.requests).toBe(0);
  });

  it('answers 504 when response headers do not arrive within headersTimeoutMs', async () => {
    const proxy = newProxy({ headersTimeoutMs: 150 });
    await proxy.setRoutes('web', routes());
    const res = await get(proxy.address('web')!, '/hang');
    expect(res.status).toBe(504);
    expect(res.body).toContain('stable upstream');
    expect(proxy.snapshot('web')!.stable.proxyErrors).toBe(1);
  });

  it('counts upstream 5xx responses per version but not 4xx', async () => {
    const proxy = newProxy({ now: () => 1_700_000_000_000 });
    await proxy.setRoutes('web', routes());
    const base = proxy.address('web')!;
    expect((await get(base, '/status/503')).status).toBe(503);
    expect((await get(base, '/status/500')).status).toBe(500);
    expect((await get(base, '/status/404')).status).toBe(404);
    const snap = proxy.snapshot('web')!;
    expect(snap.at).toBe(1_700_000_000_000);
    expect(snap.stable).toMatchObject({ requests: 3, status5xx: 2, proxyErrors: 0, errors: 2 });
    expect(snap.stable.latency.count).toBe(3);
  });

  it('survives a client that disconnects mid-response without counting an error', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    const before = stable.aborted;
    const { port } = new URL(proxy.address('web')!);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/hang' }, () => reject(new Error('unexpected response')));
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 50);
    });
    await eventually(() => expect(stable.aborted).toBe(before + 1));
    const snap = proxy.snapshot('web')!;
    expect(snap.stable).toMatchObject({ requests: 1, proxyErrors: 0, errors: 0 });
    expect((await get(proxy.address('web')!, '/')).body).toBe('stable');
  });

  it('snapshots are deep copies', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    await get(proxy.address('web')!, '/');
    const snap = proxy.snapshot('web')!;
    snap.stable.requests = 99;
    snap.stable.latency.buckets.length = 0;
    expect(proxy.snapshot('web')!.stable.requests).toBe(1);
    expect(proxy.snapshot('web')!.stable.latency.buckets.length).toBe(1);
    expect(proxy.snapshot('nope')).toBeUndefined();
  });
});

describe('EmbeddedProxy listeners', () => {
  it('reports an address in use as SLUICE_PROXY_LISTEN and keeps the previous state', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = `127.0.0.1:${(blocker.address() as AddressInfo).port}`;
    try {
      const proxy = newProxy();
      const err = await rejection(proxy.setRoutes('web', routes({ listen: busy })));
      expect(err.code).toBe('SLUICE_PROXY_LISTEN');
      expect(err.message).toContain(busy);
      expect(err.message).toContain('"web"');
      expect((err.cause as { code?: string }).code).toBe('EADDRINUSE');
      expect(proxy.getRoutes('web')).toBeUndefined();

      await proxy.setRoutes('web', routes({ canaryWeight: 5 }));
      const moved = await rejection(proxy.setRoutes('web', routes({ listen: busy, canaryWeight: 50 })));
      expect(moved.code).toBe('SLUICE_PROXY_LISTEN');
      expect(proxy.getRoutes('web')).toEqual(routes({ canaryWeight: 5 }));
      expect((await get(proxy.address('web')!, '/')).status).toBe(200);
    } finally {
      blocker.close();
    }
  });

  it('refuses a second service on the same listen address', async () => {
    const port = new URL(await deadUrl()).port;
    const proxy = newProxy();
    await proxy.setRoutes('a', routes({ listen: `127.0.0.1:${port}` }));
    const err = await rejection(proxy.setRoutes('b', routes({ listen: `127.0.0.1:${port}` })));
    expect(err.code).toBe('SLUICE_PROXY_LISTEN_CONFLICT');
    expect(err.message).toContain('"a"');
    expect(proxy.getRoutes('b')).toBeUndefined();
  });

  it('moves a service to a new listen address: new one serves, old one stops, in-flight finishes', async () => {
    const slow = await startTestUpstream('slow');
    const proxy = newProxy();
    await proxy.setRoutes('web', routes({ stable: [stable.url] }));
    const oldBase = proxy.address('web')!;
    // A streaming response in flight on the old listener while the service moves.
    const inflight = await request(oldBase + '/bytes?n=2000000', { dispatcher: client });
    const newPort = new URL(await deadUrl()).port;
    await proxy.setRoutes('web', routes({ listen: `127.0.0.1:${newPort}` }));
    expect(proxy.address('web')).toBe(`http://127.0.0.1:${newPort}`);
    expect((await get(proxy.address('web')!, '/')).body).toBe('stable');
    expect((await inflight.body.arrayBuffer()).byteLength).toBe(2_000_000);
    await eventually(async () => expect(await connectOutcome(oldBase)).toBe('ECONNREFUSED'));
    await slow.close();
  });

  it('removeService closes the listener and forgets the routes', async () => {
    const proxy = newProxy();
    await proxy.setRoutes('web', routes());
    const base = proxy.address('web')!;
    await proxy.removeService('web');
    expect(proxy.getRoutes('web')).toBeUndefined();
    expect(await connectOutcome(base)).toBe('ECONNREFUSED');
    await proxy.removeService('web'); // unknown now: a no-op
  });

  it('logs listener and route changes, never single requests', async () => {
    const lines: string[] = [];
    const logger = { info: (_o: object, m: string) => lines.push(m), warn: () => undefined, error: () => undefined };
    const proxy = newProxy({ logger });
    await proxy.setRoutes('web', routes());
    await get(proxy.address('web')!, '/');
    await proxy.setRoutes('web', routes({ canaryWeight: 20 }));
    await proxy.removeService('web');
    expect(lines).toEqual(['proxy listening', 'proxy routes applied', 'proxy stopped carrying service']);
  });

  it('rejects calls after close with SLUICE_PROXY_CLOSED', async () => {
    const proxy = newProxy();
    await proxy.close();
    expect((await rejection(proxy.setRoutes('web', routes()))).code).toBe('SLUICE_PROXY_CLOSED');
  });
});
