import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { freePort } from '../../src/cli/demo.js';
import { startLoad, type Load } from '../../src/demo/load.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { silentLogger } from '../../src/log/logger.js';
import { PrometheusProvider } from '../../src/metrics/prometheus.js';
import type { Measurement, MetricQuery } from '../../src/metrics/provider.js';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.js';
import { parseRolloutDocuments } from '../../src/spec/parse-rollout.js';
import { formatSpecError } from '../../src/spec/spec-error.js';
import { tempDir, waitFor } from './harness.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';

/**
 * The prometheus provider against a real Prometheus (Debian's) scraping a
 * real Sluice control plane's /metrics every second, with real traffic
 * through a rollout's proxy listener to real upstreams.
 */
describe('prometheus provider with a real Prometheus scraping Sluice', () => {
  let cp: ControlPlane;
  let prom: PrometheusServer;
  const services: SampleService[] = [];
  const loads: Load[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({ api: '127.0.0.1:0', dataDir: tempDir('sluice-prom-e2e-'), logger: silentLogger, tickMs: 100 });
    prom = await startPrometheus([new URL(cp.url).host]);
  });

  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await prom?.stop();
    await cp?.close();
    await Promise.all(services.map((s) => s.close()));
  });

  async function apply(name: string, canaryErrorRate: number, rest: string): Promise<{ listen: string; stable: SampleService; canary: SampleService }> {
    const stable = await startSampleService({ version: 'v1' });
    const canary = await startSampleService({ version: 'v2', errorRate: canaryErrorRate });
    services.push(stable, canary);
    const listen = `127.0.0.1:${await freePort()}`;
    const yaml = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: ${name}}
spec:
  service:
    listen: ${listen}
    stable: {upstreams: [${stable.url}]}
    canary: {upstreams: [${canary.url}]}
${rest}`;
    const { rollouts, errors } = parseRolloutDocuments(yaml, `${name}.yaml`);
    expect(errors.map(formatSpecError)).toEqual([]);
    await cp.controller.apply(rollouts[0], 'e2e');
    return { listen, stable, canary };
  }

  const query = (promql: string) => new PrometheusProvider({ type: 'prometheus', address: prom.url, query: promql, timeout: 5_000 });
  const at = (service: string, version: MetricQuery['version'], from: number): MetricQuery => ({ service, version, metric: 'm', from, to: Date.now() });
  const valueOf = async (promql: string, q: MetricQuery): Promise<Measurement> => query(promql).query(q);

  it('reads the same counts the proxy made, through templated queries, and explains the queries it cannot use', async () => {
    const name = 'prom-counts';
    // The window below opens before the series are born, so its first sample is the
    // zero one for every series and increase() extrapolates them all alike.
    const born = Date.now() - 2_000;
    const { listen, canary } = await apply(name, 0.2, '  strategy: {canary: {steps: [{setWeight: 50}, {pause: {}}]}}\n');
    const requests = 'sum(sluice_requests_total{service="{{service}}",version="{{version}}"})';
    // The series exist (at zero) before any traffic, so increase() over a window from here sees all of it.
    await waitFor(async () => (await valueOf(requests, at(name, 'canary', Date.now()))).value === 0, 'Prometheus to scrape the new service');
    const t0 = Date.now();

    const pool = new Pool(`http://${listen}`, { connections: 8 });
    const client = { stable: 0, canary: 0, canaryErrors: 0 };
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < 400; i += 8) {
        const res = await pool.request({ path: `/r/${i}`, method: 'GET' });
        await res.body.dump();
        const version = res.headers['x-sluice-version'] === 'canary' ? 'canary' : 'stable';
        client[version]++;
        if (version === 'canary' && res.statusCode >= 500) client.canaryErrors++;
      }
    }));
    await pool.close();
    const snap = cp.proxy.snapshot(name)!;
    expect([snap.canary.requests, snap.stable.requests, snap.canary.errors]).toEqual([client.canary, client.stable, client.canaryErrors]);
    expect(snap.canary.errors).toBe(canary.served.errors);
    expect(client.canary).toBeGreaterThan(100);
    expect(client.canaryErrors).toBeGreaterThan(0);

    // Poll until a scrape after the last request has landed.
    await waitFor(async () => (await valueOf(requests, at(name, 'canary', t0))).value === snap.canary.requests, 'Prometheus to have every canary request');
    expect(await valueOf(requests, at(name, 'stable', t0))).toEqual({ phase: 'ok', value: snap.stable.requests });
    const errors = 'sum(sluice_request_errors_total{service="{{service}}",version="{{version}}"})';
    expect(await valueOf(errors, at(name, 'canary', t0))).toEqual({ phase: 'ok', value: snap.canary.errors });

    // The error ratio over the check window, as in docs/rollout-spec.md: {{window}} spans the traffic.
    // The denominator is the duration histogram's count: one series per version, born at
    // zero, where sluice_requests_total's code="500" series is born at the first 500.
    const ratio = `sum(increase(sluice_request_errors_total{service="{{service}}",version="{{version}}"}[{{window}}]))
      / sum(increase(sluice_request_duration_seconds_count{service="{{service}}",version="{{version}}"}[{{window}}]))`;
    const canaryRatio = await valueOf(ratio, at(name, 'canary', born));
    expect(canaryRatio.phase).toBe('ok');
    // Both series start at zero inside the window and share their scrapes, so increase()
    // scales errors and requests by the same factor: the ratio is the proxy's own.
    expect(canaryRatio.value).toBeCloseTo(snap.canary.errors / snap.canary.requests, 6);
    expect(await valueOf(ratio, at(name, 'stable', born))).toEqual({ phase: 'ok', value: 0 });

    const unaggregated = await valueOf('sluice_request_errors_total{service="{{service}}",version="{{version}}"}', at(name, 'canary', t0));
    expect(unaggregated.phase).toBe('error');
    expect(unaggregated.message).toMatch(/^the query returned 2 series \(.*kind="5xx".*\); it must aggregate to one series/);
    expect(await valueOf('sum(sluice_requests_total{service="no-such-service"})', at(name, 'canary', t0))).toMatchObject({ phase: 'nodata' });
    const broken = await valueOf('sum(rate(sluice_requests_total[{{window}}]', at(name, 'canary', t0));
    expect(broken.phase).toBe('error');
    expect(broken.message).toMatch(/^Prometheus refused the query \(400 bad_data\): .*parse error/);
  });

  it('rolls back a rollout whose Prometheus metric fails, and records the dry-run metric without acting on it', async () => {
    const name = 'prom-guard';
    const ratio = (window: string) => `sum(increase(sluice_request_errors_total{service="{{service}}",version="{{version}}"}[${window}])) / sum(increase(sluice_requests_total{service="{{service}}",version="{{version}}"}[${window}]))`;
    const { listen } = await apply(name, 0.3, `  strategy: {canary: {steps: [{setWeight: 50}, {pause: {duration: 5m}}]}}
  analysis:
    interval: 2s
    failureLimit: 0
    inconclusiveLimit: 30
    metrics:
      - name: dry-error-ratio
        dryRun: true
        provider: {prometheus: {address: '${prom.url}', query: '${ratio('20s')}'}}
        max: 0.001
      - name: canary-error-ratio
        provider: {prometheus: {address: '${prom.url}', query: '${ratio('20s')}'}}
        max: 0.05
`);
    loads.push(startLoad(`http://${listen}`, 100));
    const done = await waitFor(() => {
      const r = cp.controller.get(name)!;
      return r.state.phase === 'rolled-back' ? r : undefined;
    }, 'the rollback', 30_000);
    expect(done.state.routes.canaryWeight).toBe(0);
    const events = cp.controller.events(name);
    const last = events.at(-1)!;
    expect(last.type).toBe('rolled-back');
    expect(last.message).toMatch(/^rolled back: canary-error-ratio 0\.\d+ is above the maximum 0\.05 \(prometheus\)$/);
    expect(last.message).not.toContain('dry-error-ratio');
    const failing = events.filter((e) => e.type === 'check').at(-1)!;
    const metrics = (failing.data as { metrics: Array<{ name: string; verdict: string; value?: number; dryRun?: boolean; provider?: string }> }).metrics;
    expect(metrics.map((m) => [m.name, m.verdict, m.provider, m.dryRun ?? false])).toEqual([
      ['dry-error-ratio', 'fail', 'prometheus', true],
      ['canary-error-ratio', 'fail', 'prometheus', false],
    ]);
    // A real error ratio of the canary's first seconds (30% expected; few requests, so loosely bounded).
    expect(metrics[1].value).toBeGreaterThan(0.05);
    expect(metrics[1].value).toBeLessThan(0.7);
  });

  it('rolls back after more provider errors in a row than consecutiveErrorLimit, naming the metric and the error', async () => {
    const name = 'prom-outage';
    const down = `http://127.0.0.1:${await freePort()}`;
    await apply(name, 0, `  strategy: {canary: {steps: [{setWeight: 20}, {pause: {duration: 5m}}]}}
  analysis:
    interval: 500ms
    consecutiveErrorLimit: 1
    inconclusiveLimit: 30
    metrics:
      - name: checkout-latency
        provider: {prometheus: {address: '${down}', query: 'vector(1)', timeout: 1s}}
        max: 2
`);
    const done = await waitFor(() => {
      const r = cp.controller.get(name)!;
      return r.state.phase === 'rolled-back' ? r : undefined;
    }, 'the rollback', 15_000);
    expect(done.state.message).toMatch(
      new RegExp(`^rolled back: checkout-latency failed to measure on its prometheus provider 2 times in a row \\(1 tolerated\\): Prometheus unreachable: GET ${down}/api/v1/query failed: .*ECONNREFUSED`),
    );
    expect(cp.controller.events(name).filter((e) => e.type === 'check')).toHaveLength(2);
  });
});
