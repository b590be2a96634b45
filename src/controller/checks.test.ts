import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionWindow } from '../analysis/types.js';
import { initialState } from '../engine/index.js';
import { MemoryProvider } from '../metrics/memory.js';
import type { MetricCheckSpec, Rollout } from '../spec/types.js';
import type { RolloutRecord } from '../store/store.js';
import { measureCheck, type WindowSource } from './checks.js';

/** measureCheck: builtin metrics from the proxy's window, the others through their providers. */

let server: Server;
let base: string;
const asked: string[] = [];

beforeAll(async () => {
  // Answers like a health endpoint: stable's ratio 0.999, canary's 0.95.
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(url.search);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { ratio: url.searchParams.get('version') === 'canary' ? 0.95 : 0.999 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function record(metrics: MetricCheckSpec[]): RolloutRecord {
  const rollout: Rollout = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web' },
    spec: {
      service: { listen: '127.0.0.1:18080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
      steps: [{ setWeight: 10 }, { pause: { duration: 60_000 } }],
      analysis: { interval: 10_000, failureLimit: 0, inconclusiveLimit: 3, minRequests: 10, consecutiveErrorLimit: 4, metrics },
      onFailure: 'rollback',
      onInconclusive: 'pause',
    },
  };
  return { name: 'web', rollout, state: initialState('web', 1, rollout.spec, 0).state, version: 1, createdAt: 0, updatedAt: 0 };
}

const CANARY: VersionWindow = { requests: 200, errors: 2, successRate: 99, p99: 120 };
const STABLE: VersionWindow = { requests: 1800, errors: 9, successRate: 99.5, p99: 100 };

class Windows implements WindowSource {
  constructor(private readonly present = true) {}
  window(_service: string, from: number, to: number) {
    return this.present ? { from: from + 5, to, canary: CANARY, stable: STABLE } : undefined;
  }
}

const httpMetric = (extra: Partial<MetricCheckSpec>): MetricCheckSpec => ({
  name: 'orders-ok',
  provider: { type: 'http', url: `${base}/health?version={{version}}&service={{service}}&window={{window}}&listen={{listen}}`, jsonPath: 'data.ratio', timeout: 2_000 },
  ...extra,
});

describe('measureCheck', () => {
  it('judges builtin metrics from the window the controller has, with its bounds', async () => {
    const result = await measureCheck(new Windows(), record([{ name: 'success-rate', min: 99.5 }, { name: 'error-rate', maxRatio: 1.5 }]), 0, 10_000);
    expect(result.from).toBe(5);
    expect(result.metrics.map((m) => [m.name, m.verdict])).toEqual([['success-rate', 'fail'], ['error-rate', 'fail']]);
    expect(result.metrics[1].reason).toBe("error-rate 1% is 2× stable's 0.5% (max 1.5×) (200 canary and 1800 stable requests)");
    expect(result.verdict).toBe('fail');
  });

  it('queries a provider metric over HTTP for both versions when the check is relative', async () => {
    asked.length = 0;
    const result = await measureCheck(new Windows(), record([httpMetric({ minRatio: 0.99 })]), 20_000, 50_000);
    expect(asked.sort()).toEqual([
      '?version=canary&service=web&window=30s&listen=127.0.0.1:18080',
      '?version=stable&service=web&window=30s&listen=127.0.0.1:18080',
    ]);
    const [m] = result.metrics;
    expect(m).toMatchObject({ name: 'orders-ok', provider: 'http', verdict: 'fail', value: 0.95, stableValue: 0.999 });
    expect(m.reason).toBe("orders-ok 0.95 is 0.95× stable's 0.999 (min 0.99×) (http)");
  });

  it('asks only the canary for an absolute check', async () => {
    asked.length = 0;
    const result = await measureCheck(new Windows(), record([httpMetric({ min: 0.9 })]), 0, 10_000);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('version=canary');
    expect(result.verdict).toBe('pass');
  });

  it('judges provider metrics even when the proxy has no window for the service', async () => {
    const result = await measureCheck(new Windows(false), record([httpMetric({ min: 0.9 })]), 0, 10_000);
    expect(result.verdict).toBe('pass');
    expect(result).toMatchObject({ from: 0, to: 10_000, canary: { requests: 0 } });
  });

  it('without a window and only builtin metrics the check is inconclusive, saying why', async () => {
    const result = await measureCheck(new Windows(false), record([{ name: 'success-rate', min: 99 }]), 0, 10_000);
    expect(result.verdict).toBe('inconclusive');
    expect(result.summary).toMatch(/^no measurements for "web" between/);
  });

  it('an unknown provider type or a provider that throws is an error measurement, not a crashed check', async () => {
    const bogus = { name: 'x', provider: { type: 'datadog' }, max: 1 } as unknown as MetricCheckSpec;
    const result = await measureCheck(new Windows(), record([bogus, { name: 'y', provider: { type: 'http', url: 'http://a/', jsonPath: 'a', timeout: 1 }, max: 1 }]), 0, 10_000, (s) => {
      if (s.type === 'http') return { type: 'http', query: () => Promise.reject(new Error('kaput')) };
      throw new Error(`unknown metric provider type "${s.type}"`);
    });
    expect(result.verdict).toBe('inconclusive');
    expect(result.metrics.map((m) => m.error)).toEqual(['unknown metric provider type "datadog"', 'the http provider failed: kaput']);
  });

  it('takes providers from the factory it is given (a memory provider here)', async () => {
    const memory = new MemoryProvider().set('p', 'canary', { phase: 'ok', value: 3 }).set('p', 'stable', { phase: 'ok', value: 2 });
    const metric: MetricCheckSpec = { name: 'p', provider: { type: 'prometheus', address: 'http://p', query: 'q', timeout: 1 }, maxRatio: 1.2 };
    const result = await measureCheck(new Windows(), record([metric]), 1_000, 4_000, () => memory);
    expect(memory.queries.map((q) => [q.version, q.from, q.to, q.service])).toEqual([['canary', 1_000, 4_000, 'web'], ['stable', 1_000, 4_000, 'web']]);
    expect(result.metrics[0]).toMatchObject({ verdict: 'fail', ratio: 1.5 });
  });
});
