import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Routes } from '../routers/router.js';
import { EmbeddedProxy } from './proxy.js';
import { eventually, rawExchange } from './testing.js';

/**
 * The fast lane (fast-lane.ts) against upstreams that answer with exactly the
 * bytes a test scripts — every framing an HTTP/1.1 server may use, and the
 * broken ones — and clients that send raw bytes: keep-alive, pipelining, and
 * connections that move to Node's server half-way.
 */

interface Scripted {
  url: string;
  /** Connections open now. */
  open: Set<Socket>;
  /** Request heads received, in order. */
  heads: string[];
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** In an answer: close the connection once what comes before it is written. */
const CLOSE = Symbol('close');

/** A raw upstream: for each request head (bodies read by Content-Length), writes what `answer` returns; `null` drops the connection. */
async function scripted(answer: (head: string, socket: Socket, n: number) => Array<string | Buffer | typeof CLOSE> | null): Promise<Scripted> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        heads.push(head);
        const out = answer(head, socket, heads.length);
        if (out === null) return void socket.destroy();
        for (const part of out) {
          if (part === CLOSE) return void socket.end();
          socket.write(part);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads,
    open: sockets,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const openUpstreamSockets = (up: Scripted): number => up.open.size;

const proxies: EmbeddedProxy[] = [];
const upstreams: Scripted[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function through(answer: Parameters<typeof scripted>[0], over: Partial<Routes> = {}): Promise<{ base: string; up: Scripted; proxy: EmbeddedProxy }> {
  const up = await scripted(answer);
  upstreams.push(up);
  const proxy = new EmbeddedProxy({ drainTimeoutMs: 200, headersTimeoutMs: 2_000, idleTimeoutMs: 2_000 });
  proxies.push(proxy);
  await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [up.url], canary: [], canaryWeight: 0, ...over });
  return { base: proxy.address('web')!, up, proxy };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: shop\r\n${extra}\r\n`;
/** Responses in a raw byte stream, each as [status line, head, body] (bodies by content-length or chunked). */
function responses(text: string): Array<{ status: number; head: string; body: string }> {
  const out: Array<{ status: number; head: string; body: string }> = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body = '';
    if (length) {
      body = rest.slice(0, Number(length[1]));
      rest = rest.slice(Number(length[1]));
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      for (;;) {
        const line = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, line), 16);
        rest = rest.slice(line + 2);
        if (size === 0) {
          rest = rest.startsWith('\r\n') ? rest.slice(2) : rest.slice(rest.indexOf('\r\n\r\n') + 4); // trailers end with an empty line
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else {
      body = rest;
      rest = '';
    }
    out.push({ status: Number(head.slice(9, 12)), head, body });
  }
  return out;
}

describe('the fast lane', () => {
  it('carries keep-alive requests over one upstream connection, with the forwarding headers', async () => {
    const { base, up, proxy } = await through(() => [ok('hi')]);
    const res = await rawExchange(base, [GET('/a?x=1', 'X-Forwarded-For: 10.1.1.1\r\n'), GET('/b'), GET('/c', 'Connection: close\r\n')]);
    expect(res.closed).toBe(true);
    const got = responses(res.text);
    expect(got.map((r) => [r.status, r.body])).toEqual([[200, 'hi'], [200, 'hi'], [200, 'hi']]);
    expect(got[2].head).toMatch(/\r\nconnection: close/i);
    expect(got[0].head).toMatch(/\r\nx-sluice-version: stable\r\n/);
    expect(up.connections).toBe(1);
    expect(up.heads[0]).toMatch(new RegExp(`^GET /a\\?x=1 HTTP/1\\.1\r\nhost: ${new URL(up.url).host}\r\n`));
    expect(up.heads[0]).toMatch(/\r\nx-forwarded-for: 10\.1\.1\.1, 127\.0\.0\.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: shop$/);
    expect(up.heads[0]).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    // Node's server and undici were not involved: undici would have sent "connection: keep-alive".
    expect(up.heads.every((h) => !/\r\nconnection:/i.test(h))).toBe(true);
    expect(proxy.snapshot('web')!.stable).toMatchObject({ requests: 3, errors: 0, codes: { 200: 3 } });
  });

  it('passes chunked bodies (with trailers) through as they come, split anywhere', async () => {
    const chunked = '4\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n';
    const { base, up } = await through((_h, _s, n) => ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', ...(n === 1 ? [chunked] : chunked.split(''))]);
    const res = await rawExchange(base, [GET('/1'), GET('/2', 'Connection: close\r\n')]);
    const got = responses(res.text);
    expect(got.map((r) => r.body)).toEqual(['wikipedia', 'wikipedia']);
    expect(res.text).toContain('0\r\nX-T: 1\r\n\r\n');
    expect(up.connections).toBe(1);
  });

  it('sends no body for HEAD, 204 and 304, and skips 1xx informational responses', async () => {
    const { base } = await through((head) => {
      if (head.startsWith('HEAD')) return ['HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n'];
      if (head.includes('/204')) return ['HTTP/1.1 204 No Content\r\n\r\n'];
      if (head.includes('/304')) return ['HTTP/1.1 304 Not Modified\r\netag: "x"\r\n\r\n'];
      return ['HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n', ok('after hints')];
    });
    const res = await rawExchange(base, ['HEAD / HTTP/1.1\r\nHost: a\r\n\r\n', GET('/204'), GET('/304'), GET('/hints', 'Connection: close\r\n')]);
    const heads = res.text.split('\r\n\r\n');
    expect(heads[0]).toMatch(/^HTTP\/1\.1 200 OK\r\ncontent-length: 1000/);
    expect(heads[1]).toMatch(/^HTTP\/1\.1 204 No Content/);
    expect(heads[2]).toMatch(/^HTTP\/1\.1 304 Not Modified/);
    expect(heads[3]).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(res.text.endsWith('after hints')).toBe(true);
    expect(res.text).not.toMatch(/HTTP\/1\.1 103|early hints|link:/i);
  });

  it('passes a body that ends with the upstream connection, then closes the client connection', async () => {
    const { base, proxy } = await through(() => ['HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil ', 'the end', CLOSE]);
    const res = await rawExchange(base, [GET('/')], 3_000);
    expect(res.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/);
    expect(res.text.endsWith('until the end')).toBe(true);
    expect(res.closed).toBe(true);
    await eventually(() => expect(proxy.snapshot('web')!.stable.codes).toEqual({ 200: 1 }));
  });

  it('answers 502 naming the problem when the upstream answers with something that is not HTTP/1.1, and keeps the client', async () => {
    const { base, proxy } = await through((_h, _s, n) => (n === 1 ? ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'] : [ok('fine')]));
    const res = await rawExchange(base, [GET('/'), GET('/', 'Connection: close\r\n')]);
    const got = responses(res.text);
    expect(got[0].status).toBe(502);
    expect(got[0].body).toMatch(/^sluice: stable upstream http:\/\/127\.0\.0\.1:\d+ sent a response that is not valid HTTP\/1\.1: the response has both Content-Length and Transfer-Encoding\n$/);
    expect(got[1]).toMatchObject({ status: 200, body: 'fine' });
    expect(proxy.snapshot('web')!.stable).toMatchObject({ requests: 2, proxyErrors: 1 });
  });

  it('does not reuse an upstream connection that sent bytes past its response', async () => {
    const { base, up } = await through((_h, _s, n) => [ok(`r${n}`) + 'GARBAGE']);
    const res = await rawExchange(base, [GET('/'), GET('/', 'Connection: close\r\n')]);
    expect(responses(res.text).map((r) => r.body)).toEqual(['r1', 'r2']);
    expect(up.connections).toBe(2);
  });

  it('sends a request again on a new connection when a reused one turns out closed by the upstream', async () => {
    // Each upstream connection serves one response and then closes without saying so.
    const { base, up, proxy } = await through((_h, socket) => {
      setTimeout(() => socket.destroy(), 30);
      return [ok('once')];
    });
    const first = await rawExchange(base, [GET('/', 'Connection: close\r\n')]);
    expect(responses(first.text)[0].body).toBe('once');
    await eventually(() => expect(up.connections).toBe(1));
    await new Promise((r) => setTimeout(r, 60)); // the idle pooled connection is closed by now
    const second = await rawExchange(base, [GET('/', 'Connection: close\r\n')]);
    expect(responses(second.text)[0]).toMatchObject({ status: 200, body: 'once' });
    expect(proxy.snapshot('web')!.stable).toMatchObject({ requests: 2, errors: 0 });
  });

  it('hands a connection to Node’s server when a request has a body, and that connection keeps working', async () => {
    const { base, up } = await through((head) => [ok(head.split(' ')[0])]);
    const post = 'POST /p HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello';
    // Pipelined in one write: GET on the fast lane, then POST moves the connection, then a GET on Node's server.
    const res = await rawExchange(base, [GET('/1') + post + GET('/3', 'Connection: close\r\n')]);
    expect(responses(res.text).map((r) => [r.status, r.body])).toEqual([[200, 'GET'], [200, 'POST'], [200, 'GET']]);
    expect(up.heads[0]).toMatch(/^GET \/1 /);
    expect(up.heads[0]).not.toMatch(/\r\nconnection:/i);
    // Node's server reads pipelined requests ahead: the POST and the last GET may reach the upstream in either order.
    const postHead = up.heads.find((h) => h.startsWith('POST /p HTTP/1.1\r\n'));
    expect(postHead).toMatch(/\r\nconnection: keep-alive/i); // undici: the slow path
  });

  it('hands over a connection whose first request is an upgrade or HTTP/1.0', async () => {
    const { base } = await through(() => [ok('old')]);
    const res = await rawExchange(base, ['GET / HTTP/1.0\r\nHost: a\r\n\r\n']);
    expect(res.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res.text.endsWith('old')).toBe(true);
  });

  it('hands a request head that trickles in byte by byte to Node’s server, which reads it incrementally', async () => {
    const { base, up } = await through(() => [ok('slow but fine')]);
    const { port } = new URL(base);
    const client = connect({ host: '127.0.0.1', port: Number(port), noDelay: true });
    const received: Buffer[] = [];
    client.on('data', (d: Buffer) => received.push(d));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    // One byte every 3 ms: the proxy reads the head in many pieces (traffic shaping, not a wait for a condition).
    for (const byte of GET('/t', 'Connection: close\r\n')) {
      client.write(byte);
      await new Promise((r) => setTimeout(r, 3));
    }
    await closed;
    expect(responses(Buffer.concat(received).toString('latin1'))[0]).toMatchObject({ status: 200, body: 'slow but fine' });
    expect(up.heads[0]).toMatch(/\r\nconnection: keep-alive/i); // undici: the Node lane
  });

  it('answers 408 to a client that sends its headers too slowly, as Node’s server would', async () => {
    const up = await scripted(() => [ok('x')]);
    upstreams.push(up);
    const proxy = new EmbeddedProxy({ clientHeadersTimeoutMs: 200, drainTimeoutMs: 100 });
    proxies.push(proxy);
    await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [up.url], canary: [], canaryWeight: 0 });
    const res = await rawExchange(proxy.address('web')!, ['GET / HTTP/1.1\r\n', 'Host: a\r\n'], 3_000);
    expect(res.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(res.closed).toBe(true);
    expect(proxy.snapshot('web')!.rejected).toEqual({ 'client-timeout': 1 });
    expect(up.heads).toEqual([]);
  });

  it('sets the sticky cookie for an anonymous client and keeps A/B rules on the fast lane', async () => {
    const stable = await scripted(() => [ok('stable')]);
    const canary = await scripted(() => [ok('canary')]);
    upstreams.push(stable, canary);
    const proxy = new EmbeddedProxy({ drainTimeoutMs: 100 });
    proxies.push(proxy);
    await proxy.setRoutes('web', {
      listen: '127.0.0.1:0',
      stable: [stable.url],
      canary: [canary.url],
      canaryWeight: 50,
      stickiness: { cookie: 'uid', anonymousCookie: { name: 'uid', maxAge: 3_600_000 } },
      match: [{ headers: { 'x-beta': { exact: '1' } } }],
    });
    const base = proxy.address('web')!;
    const beta = await rawExchange(base, [GET('/', 'X-Beta: 1\r\nConnection: close\r\n')]);
    expect(responses(beta.text)[0].body).toBe('canary');
    const anon = await rawExchange(base, [GET('/', 'Connection: close\r\n')]);
    const cookie = /\r\nset-cookie: (uid=[^;\r]+)/i.exec(anon.text)?.[1];
    expect(cookie).toBeDefined();
    const first = responses(anon.text)[0].body;
    for (let i = 0; i < 5; i++) {
      const again = await rawExchange(base, [GET('/', `Cookie: ${cookie}\r\nConnection: close\r\n`)]);
      expect(responses(again.text)[0].body).toBe(first);
      expect(again.text).not.toMatch(/set-cookie/i);
    }
  });

  it('closes an idle client connection after clientKeepAliveMs, and an idle upstream connection after keepAliveTimeoutMs', async () => {
    const up = await scripted(() => [ok('x')]);
    upstreams.push(up);
    const upstreamClosed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      const probe = setInterval(() => {
        if (up.connections === 1 && openUpstreamSockets(up) === 0) {
          clearInterval(probe);
          resolve(Date.now() - t0);
        }
      }, 5);
    });
    const proxy = new EmbeddedProxy({ clientKeepAliveMs: 150, keepAliveTimeoutMs: 250, drainTimeoutMs: 100 });
    proxies.push(proxy);
    await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [up.url], canary: [], canaryWeight: 0 });
    const started = Date.now();
    const res = await rawExchange(proxy.address('web')!, [GET('/')], 3_000);
    expect(res.closed).toBe(true); // by the proxy, not by the 3 s deadline
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(responses(res.text)[0].body).toBe('x');
    expect(await upstreamClosed).toBeGreaterThanOrEqual(240);
  });

  it('closes a client that stops reading a response for longer than idleMs, and frees the upstream connection', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const up = await scripted(() => [`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n`, big]);
    upstreams.push(up);
    const proxy = new EmbeddedProxy({ drainTimeoutMs: 100 });
    proxies.push(proxy);
    await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [up.url], canary: [], canaryWeight: 0, timeouts: { idleMs: 200 } });
    const { port } = new URL(proxy.address('web')!);
    const client = connect({ host: '127.0.0.1', port: Number(port) });
    client.on('error', () => undefined);
    client.write(GET('/'));
    client.pause(); // never reads: the proxy's writes back up
    await eventually(() => expect(up.connections === 1 && openUpstreamSockets(up) === 0).toBe(true), 5_000);
    // The proxy cut the client: reading now gets what was buffered, then the end, never the whole body.
    let got = 0;
    client.on('data', (d: Buffer) => (got += d.length));
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      client.resume();
    });
    expect(got).toBeLessThan(big.length);
    expect(proxy.snapshot('web')!.stable).toMatchObject({ requests: 1, codes: { 200: 1 } });
  });

  it('opens at most upstreamConnections connections to an instance; the other requests wait their turn', async () => {
    const up = await scripted((_h, socket, n) => {
      setTimeout(() => socket.write(ok(`r${n}`)), 20);
      return [];
    });
    upstreams.push(up);
    const proxy = new EmbeddedProxy({ upstreamConnections: 2, drainTimeoutMs: 100 });
    proxies.push(proxy);
    await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [up.url], canary: [], canaryWeight: 0 });
    const base = proxy.address('web')!;
    const all = await Promise.all(Array.from({ length: 6 }, () => rawExchange(base, [GET('/', 'Connection: close\r\n')])));
    expect(all.map((r) => responses(r.text)[0].status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(up.connections).toBe(2);
    expect(up.heads).toHaveLength(6);
  });
});
