import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Routes } from '../routers/router.js';
import { EmbeddedProxy } from './proxy.js';
import { deadUrl, rawExchange, startTestUpstream } from './testing.js';
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

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string): string => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('ambiguous and malformed requests', () => {
  it.each([
    ['Content-Length with Transfer-Encoding', 'POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'malformed', /Transfer-Encoding can't be present with Content-Length/],
    ['two equal Content-Length headers', 'POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', 'malformed', /Duplicate Content-Length/],
    ['two different Content-Length headers', 'POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 'malformed', /Duplicate Content-Length/],
    ['a Content-Length list', 'POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello', 'malformed', /Content-Length/],
    ['an unknown transfer coding', 'POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nhello', 'malformed', /Transfer-Encoding/],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', 'malformed', /whitespace/i],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'malformed', /more than one Host header/],
    ['no Host header in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 'malformed', /without a Host header/],
    ['Transfer-Encoding in HTTP/1.0', 'POST /count HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'malformed', /HTTP\/1\.0/],
    ['headers over the limit', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'headers-too-large', /exceed 16384 bytes/],
  ])('rejects %s with 400, closes, and forwards nothing', async (_name, bytes, reason, why) => {
    const { proxy, base } = await carry({ canaryWeight: 50 });
    const before = stable.received + canary.received;
    const res = await rawExchange(base, [bytes]);
    expect(statusOf(res.text)).toBe(400);
    expect(bodyOf(res.text)).toMatch(why);
    expect(res.closed).toBe(true);
    const snap = proxy.snapshot('web')!;
    expect(snap.rejected).toEqual({ [reason]: 1 });
    expect(snap.stable.requests + snap.canary.requests).toBe(0);
    expect(stable.received + canary.received).toBe(before);
  });

  it('accepts an absolute-form request target and forwards its path', async () => {
    const { base } = await carry();
    const res = await rawExchange(base, ['GET http://example.test/headers?x=1 HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n']);
    expect(statusOf(res.text)).toBe(200);
    expect(JSON.parse(bodyOf(res.text)).url).toBe('/headers?x=1');
  });
});

describe('hop-by-hop headers and forwarding headers on the wire', () => {
  it('strips hop-by-hop request headers (and those Connection lists) and adds forwarding headers', async () => {
    const { base } = await carry();
    const res = await rawExchange(base, [
      'GET /headers HTTP/1.1\r\nHost: shop.example\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n' +
        'TE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\nX-Request-Id: abc\r\n\r\n',
    ]);
    expect(statusOf(res.text)).toBe(200);
    const seen = JSON.parse(bodyOf(res.text)) as { headers: Record<string, string> };
    for (const h of ['x-secret', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection']) expect(seen.headers[h], h).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.headers['x-request-id']).toBe('abc');
    expect(seen.headers['x-forwarded-host']).toBe('shop.example');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(res.text).toMatch(/\r\nx-request-id: abc\r\n/i);
  });

  it("answers with one x-sluice-version, the proxy's, in both lanes even when the upstream sends its own", async () => {
    const { base } = await carry();
    for (const connection of ['close' /* fast lane */, 'close, X-Other' /* lists a header: Node's lane */]) {
      const res = await rawExchange(base, [`GET /claims-version HTTP/1.1\r\nHost: a\r\nConnection: ${connection}\r\n\r\n`]);
      expect(statusOf(res.text), connection).toBe(200);
      expect(res.text.match(/\r\nx-sluice-version: [^\r]*/gi), connection).toEqual([expect.stringMatching(/: stable$/)]);
    }
  });

  it("drops a client's x-sluice-mirror in both lanes: only the proxy marks a mirrored copy", async () => {
    const { base } = await carry();
    for (const connection of ['close' /* fast lane */, 'close, X-Other' /* lists a header: Node's lane */]) {
      const res = await rawExchange(base, [`GET /headers HTTP/1.1\r\nHost: a\r\nConnection: ${connection}\r\nX-Sluice-Mirror: 1\r\n\r\n`]);
      expect(statusOf(res.text), connection).toBe(200);
      expect((JSON.parse(bodyOf(res.text)) as { headers: Record<string, string> }).headers['x-sluice-mirror'], connection).toBeUndefined();
    }
  });
});

describe('Expect: 100-continue', () => {
  it('answers 100 Continue before the body is sent, then forwards the body', async () => {
    const { base } = await carry();
    const { hostname, port } = new URL(base);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      let seen = '';
      socket.setEncoding('latin1');
      socket.on('error', reject);
      socket.write('POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
      socket.on('data', (c: string) => {
        // The body goes only after the interim response, as a careful client does.
        if (!seen.includes('100 Continue') && (seen + c).includes('HTTP/1.1 100 Continue\r\n\r\n')) socket.write('hello world');
        seen += c;
      });
      socket.on('close', () => resolve(seen));
    });
    expect(text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    const final = text.slice('HTTP/1.1 100 Continue\r\n\r\n'.length);
    expect(statusOf(final)).toBe(200);
    expect(bodyOf(final)).toBe('11');
  });
});

describe('Upgrade (WebSocket) tunnels', () => {
  const wsKey = 'dGhlIHNhbXBsZSBub25jZQ==';
  const handshake = (path = '/chat') =>
    `GET ${path} HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${wsKey}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  it('tunnels a WebSocket handshake and bytes both ways to the chosen version, counted for it', async () => {
    const { proxy, base } = await carry({ canaryWeight: 100 });
    const res = await rawExchange(base, [handshake(), 'ping-1', 'ping-2'], 1_000);
    const [head, rest] = [res.text.slice(0, res.text.indexOf('\r\n\r\n')), bodyOf(res.text)];
    expect(statusOf(head)).toBe(101);
    expect(head).toMatch(/\r\nx-sluice-version: canary\r\n/);
    expect(head).toMatch(/\r\nx-upstream: canary\r\n/);
    const accept = createHash('sha1').update(wsKey + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    expect(head).toContain(`sec-websocket-accept: ${accept}`);
    expect(head).toContain('x-seen-forwarded-for: 127.0.0.1');
    expect(head).toContain(`x-seen-host: ${new URL(canary.url).host}`);
    expect(rest).toBe('ping-1ping-2');
    const snap = proxy.snapshot('web')!;
    expect(snap.canary).toMatchObject({ requests: 1, errors: 0, codes: { '101': 1 } });
    expect(snap.stable.requests).toBe(0);
  });

  it('passes a refused upgrade through as the upstream answered it', async () => {
    const { proxy, base } = await carry();
    const res = await rawExchange(base, [handshake('/upgrade/refuse')]);
    expect(statusOf(res.text)).toBe(403);
    expect(bodyOf(res.text)).toBe('refused');
    expect(proxy.snapshot('web')!.stable.codes).toEqual({ '403': 1 });
  });

  it('answers 502 naming the version when the chosen instance is down, counted against it', async () => {
    const { proxy, base } = await carry({ canary: [await deadUrl()], canaryWeight: 100 });
    const res = await rawExchange(base, [handshake()]);
    expect(statusOf(res.text)).toBe(502);
    expect(bodyOf(res.text)).toMatch(/^sluice: canary upstream http:\/\/127\.0\.0\.1:\d+ refused the connection\n$/);
    expect(proxy.snapshot('web')!.canary).toMatchObject({ requests: 1, proxyErrors: 1, errors: 1, codes: { '502': 1 } });
  });

  it('cuts open tunnels when the service is removed (after the drain grace period)', async () => {
    const { proxy, base } = await carry();
    const { hostname, port } = new URL(base);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => undefined);
    const upgraded = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(handshake());
    await upgraded;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await proxy.removeService('web');
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
