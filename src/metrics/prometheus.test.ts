import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusReply, PrometheusProvider } from './prometheus.js';

/**
 * How Prometheus's answers become measurements (table-driven, pure), and the
 * request the provider sends (to a node:http server on port 0). The provider
 * against a real Prometheus is in test/e2e/prometheus.test.ts.
 */

const vector = (...values: Array<[Record<string, string>, string]>) =>
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result: values.map(([metric, v]) => ({ metric, value: [1700000000.5, v] })) } });

describe('parsePrometheusReply', () => {
  it.each<[string, number, string, { phase: string; value?: number; message?: RegExp }]>([
    ['one series', 200, vector([{}, '0.0125']), { phase: 'ok', value: 0.0125 }],
    ['a scalar', 200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '42'] } }), { phase: 'ok', value: 42 }],
    ['an exponent', 200, vector([{}, '1.5e-3']), { phase: 'ok', value: 0.0015 }],
    ['an empty vector', 200, vector(), { phase: 'nodata', message: /^the query returned no series \(empty vector\)/ }],
    ['NaN (0/0)', 200, vector([{}, 'NaN']), { phase: 'nodata', message: /NaN \(such as 0\/0/ }],
    ['+Inf', 200, vector([{}, '+Inf']), { phase: 'error', message: /yielded \+Inf \(a division by zero\?\)/ }],
    [
      'several series',
      200,
      vector([{ version: 'stable' }, '1'], [{ version: 'canary' }, '2']),
      { phase: 'error', message: /^the query returned 2 series \(\{version="stable"\}, \{version="canary"\}\); it must aggregate to one series, e.g. wrap it in sum\(…\)$/ },
    ],
    ['a range vector', 200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }), { phase: 'error', message: /range vector; use an instant query/ }],
    ['a string', 200, JSON.stringify({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } }), { phase: 'error', message: /returned a string; it must yield a number/ }],
    [
      'a bad query',
      400,
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected <EOF>' }),
      { phase: 'error', message: /^Prometheus refused the query \(400 bad_data\): invalid parameter "query": 1:5: parse error/ },
    ],
    ['a 503 with text', 503, 'Service Unavailable', { phase: 'error', message: /answered 503 with a body that is not JSON: "Service Unavailable"/ }],
    ['a malformed sample', 200, vector([{}, 'abc']), { phase: 'error', message: /yielded "abc", not a number/ }],
    ['JSON that is not an object', 200, '[1,2]', { phase: 'error', message: /Prometheus refused the query \(200\)/ }],
  ])('%s', (_name, status, text, want) => {
    const m = parsePrometheusReply({ status, text }, 'http://prom/api/v1/query');
    expect(m.phase).toBe(want.phase);
    expect(m.value).toBe(want.value);
    if (want.message) expect(m.message).toMatch(want.message);
    if (m.phase !== 'ok') expect(m.value).toBeUndefined();
  });
});

describe('PrometheusProvider requests', () => {
  let server: Server;
  let base: string;
  const seen: URL[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(new URL(req.url ?? '/', 'http://x'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(vector([{}, '0.5']));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends an instant query at the end of the window with the placeholders filled', async () => {
    const p = new PrometheusProvider({
      type: 'prometheus',
      address: `${base}/prom/`,
      query: 'sum(rate(sluice_requests_total{service="{{service}}",version="{{version}}"}[{{window}}]))',
      timeout: 2_000,
    });
    const m = await p.query({ service: 'checkout', version: 'stable', metric: 'x', from: 1_700_000_000_000, to: 1_700_000_045_250 });
    expect(m).toEqual({ phase: 'ok', value: 0.5 });
    const url = seen.at(-1)!;
    expect(url.pathname).toBe('/prom/api/v1/query');
    expect(url.searchParams.get('query')).toBe('sum(rate(sluice_requests_total{service="checkout",version="stable"}[45250ms]))');
    expect(url.searchParams.get('time')).toBe('1700000045.250');
  });

  it('an unreachable server is an error measurement naming the endpoint', async () => {
    const p = new PrometheusProvider({ type: 'prometheus', address: 'http://127.0.0.1:1', query: 'up', timeout: 2_000 });
    const m = await p.query({ service: 's', version: 'canary', metric: 'x', from: 0, to: 1_000 });
    expect(m.phase).toBe('error');
    expect(m.message).toMatch(/^Prometheus unreachable: GET http:\/\/127\.0\.0\.1:1\/api\/v1\/query failed: .*ECONNREFUSED/);
  });
});
