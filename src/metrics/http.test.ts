import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpProvider, type HttpSource } from './http.js';
import { createProvider, MetricProviderError } from './index.js';
import type { MetricQuery } from './provider.js';

/** The http provider against a real node:http server on port 0. */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const routes = new Map<string, Handler>();
const seen: Array<{ url: string; headers: IncomingMessage['headers'] }> = [];
let server: Server;
let base: string;

const json = (status: number, body: string): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
};

beforeAll(async () => {
  routes.set('/ok', json(200, JSON.stringify({ data: { ratio: 0.995, items: [{ v: '12.5' }], none: null, flag: true } })));
  routes.set('/fail', json(500, '{"error":"database down"}'));
  routes.set('/html', json(200, '<html>maintenance</html>'));
  routes.set('/slow', () => undefined); // never answers
  routes.set('/huge', (_req, res) => {
    res.writeHead(200);
    res.end(`{"pad":"${'x'.repeat(2 << 20)}"}`);
  });
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) handler(req, res);
    else json(404, 'not found')(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const Q: MetricQuery = { service: 'checkout', version: 'canary', metric: 'orders-ok', from: 0, to: 30_000, listen: '127.0.0.1:8080' };

function provider(path: string, jsonPath: string, extra: Partial<HttpSource> = {}): HttpProvider {
  return new HttpProvider({ type: 'http', url: `${base}${path}`, jsonPath, timeout: 2_000, ...extra });
}

describe('HttpProvider', () => {
  it('reads the number at the field path, filling templates in the URL and headers', async () => {
    const p = provider('/ok?service={{service}}&version={{version}}&window={{window}}', 'data.ratio', {
      headers: { Authorization: 'Bearer xyz', 'X-Version': '{{version}}' },
    });
    expect(await p.query(Q)).toEqual({ phase: 'ok', value: 0.995 });
    const req = seen.at(-1)!;
    expect(req.url).toBe('/ok?service=checkout&version=canary&window=30s');
    expect(req.headers.authorization).toBe('Bearer xyz');
    expect(req.headers['x-version']).toBe('canary');
    expect(await p.query({ ...Q, version: 'stable' })).toMatchObject({ phase: 'ok' });
    expect(seen.at(-1)!.url).toContain('version=stable');
  });

  it('accepts a numeric string, through a bracket path', async () => {
    expect(await provider('/ok', 'data.items[0].v').query(Q)).toEqual({ phase: 'ok', value: 12.5 });
  });

  it.each([
    ['a 500', '/fail', 'data.ratio', 'error', /^GET http:\/\/127\.0\.0\.1:\d+\/fail answered 500: "\{\\"error\\":\\"database down\\"\}"$/],
    ['a 404', '/nowhere', 'data.ratio', 'error', /answered 404/],
    ['a body that is not JSON', '/html', 'data.ratio', 'error', /answered with a body that is not JSON: "<html>maintenance<\/html>"$/],
    ['a missing field', '/ok', 'data.ratoi', 'error', /field data\.ratoi not found: data has no field "ratoi" \(it has ratio, items, none, flag\)$/],
    ['a value that is not a number', '/ok', 'data.flag', 'error', /field data\.flag is a boolean \(true\), not a number$/],
    ['an object instead of a number', '/ok', 'data', 'error', /field data is an object, not a number$/],
    ['a null value (no data, not an error)', '/ok', 'data.none', 'nodata', /field data\.none is null$/],
  ] as const)('%s is a measurement, never a pass', async (_name, path, jsonPath, phase, message) => {
    const m = await provider(path, jsonPath).query(Q);
    expect(m.phase).toBe(phase);
    expect(m.value).toBeUndefined();
    expect(m.message).toMatch(message);
  });

  it('times out with an error measurement, without waiting for the server', async () => {
    const started = Date.now();
    const m = await provider('/slow', 'data.ratio', { timeout: 300 }).query(Q);
    expect(m).toEqual({ phase: 'error', message: `GET ${base}/slow timed out after 300ms` });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses an oversized body', async () => {
    const m = await provider('/huge', 'pad').query(Q);
    expect(m.phase).toBe('error');
    expect(m.message).toContain('more than 1048576 bytes');
  });

  it('reports a refused connection as an error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const m = await new HttpProvider({ type: 'http', url: `http://127.0.0.1:${port}/x`, jsonPath: 'a', timeout: 2_000 }).query(Q);
    expect(m.phase).toBe('error');
    expect(m.message).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/x failed: .*ECONNREFUSED`));
  });

  it('an invalid field path (spec/ refuses it) errs on every query instead of throwing', async () => {
    const m = await provider('/ok', 'data..x').query(Q);
    expect(m.phase).toBe('error');
    expect(m.message).toContain('field path "data..x"');
  });
});

describe('createProvider', () => {
  it('picks the implementation by type', () => {
    expect(createProvider({ type: 'http', url: 'http://x/', jsonPath: 'a', timeout: 1 }).type).toBe('http');
    expect(createProvider({ type: 'prometheus', address: 'http://x', query: 'up', timeout: 1 }).type).toBe('prometheus');
  });

  it('refuses an unknown type with a typed error listing the known ones', () => {
    const make = () => createProvider({ type: 'datadog' } as never);
    expect(make).toThrow(MetricProviderError);
    expect(make).toThrow('unknown metric provider type "datadog"; known types are builtin, prometheus, http');
    try {
      make();
    } catch (err) {
      expect((err as MetricProviderError).code).toBe('SLUICE_UNKNOWN_PROVIDER');
    }
  });

  it('hands out the builtin provider only when given one', () => {
    expect(() => createProvider({ type: 'builtin' })).toThrow(expect.objectContaining({ code: 'SLUICE_PROVIDER_UNAVAILABLE' }));
    const builtin = { type: 'builtin', query: async () => ({ phase: 'nodata' as const }) };
    expect(createProvider({ type: 'builtin' }, { builtin })).toBe(builtin);
  });
});
