import { describe, expect, it } from 'vitest';
import { ServiceCounters } from './counters.js';
import type { ServiceSnapshot } from './counters.js';
import { DURATION_BUCKETS_S, escapeLabel, renderMetrics } from './metrics-text.js';

function sample(): Map<string, ServiceSnapshot> {
  const web = new ServiceCounters();
  web.stable.requests = 10;
  web.stable.status5xx = 2;
  for (let i = 0; i < 7; i++) web.stable.finish(200);
  web.stable.finish(500);
  web.stable.finish(503);
  web.canary.requests = 3;
  web.canary.proxyErrors = 1;
  web.canary.finish(502);
  web.canary.finish(404);
  web.canary.retried = 1;
  web.reject('malformed');
  for (const ms of [0.2, 0.9, 3, 40, 40, 700, 20_000]) web.stable.latency.record(ms);
  return new Map([['web', web.snapshot(0)]]);
}

/** The sample lines of one metric family, as name{labels} → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('renderMetrics', () => {
  it('writes HELP and TYPE once per family, before its samples', () => {
    const text = renderMetrics(sample(), new Map([['web', 10]]));
    for (const [name, type] of [
      ['sluice_requests_total', 'counter'],
      ['sluice_requests_in_flight', 'gauge'],
      ['sluice_retries_total', 'counter'],
      ['sluice_upstream_ejections_total', 'counter'],
      ['sluice_requests_rejected_total', 'counter'],
      ['sluice_request_errors_total', 'counter'],
      ['sluice_request_duration_seconds', 'histogram'],
      ['sluice_canary_weight', 'gauge'],
    ]) {
      expect(text.split(`# TYPE ${name} ${type}\n`).length, name).toBe(2);
      expect(text.indexOf(`# HELP ${name} `)).toBeLessThan(text.indexOf(`# TYPE ${name} `));
      const firstSample = text.search(new RegExp(`\n${name}(_bucket|_sum|_count)?\\{`));
      expect(firstSample).toBeGreaterThan(text.indexOf(`# TYPE ${name} `));
    }
    expect(text.endsWith('\n')).toBe(true);
  });

  it('exports finished requests by code, in-flight requests, errors by kind, rejections, retries and the live weight', () => {
    const s = samples(renderMetrics(sample(), new Map([['web', 10]])));
    expect(s.get('sluice_requests_total{service="web",version="stable",code="200"}')).toBe(7);
    expect(s.get('sluice_requests_total{service="web",version="stable",code="500"}')).toBe(1);
    expect(s.get('sluice_requests_total{service="web",version="stable",code="503"}')).toBe(1);
    expect(s.get('sluice_requests_total{service="web",version="canary",code="502"}')).toBe(1);
    expect(s.get('sluice_requests_total{service="web",version="canary",code="404"}')).toBe(1);
    // "200" exists at zero before any request, so increase() from the first scrape sees every request.
    expect(s.get('sluice_requests_total{service="web",version="canary",code="200"}')).toBe(0);
    expect(s.get('sluice_requests_in_flight{service="web",version="stable"}')).toBe(1);
    expect(s.get('sluice_requests_in_flight{service="web",version="canary"}')).toBe(1);
    expect(s.get('sluice_retries_total{service="web",version="canary"}')).toBe(1);
    expect(s.get('sluice_requests_rejected_total{service="web",reason="malformed"}')).toBe(1);
    expect(s.get('sluice_requests_rejected_total{service="web",reason="headers-too-large"}')).toBe(0);
    expect(s.get('sluice_request_errors_total{service="web",version="stable",kind="5xx"}')).toBe(2);
    expect(s.get('sluice_request_errors_total{service="web",version="canary",kind="proxy"}')).toBe(1);
    expect(s.get('sluice_canary_weight{service="web"}')).toBe(10);
  });

  it.each([
    ['0.001', 2],
    ['0.005', 3],
    ['0.05', 5],
    ['1', 6],
    ['10', 6],
    ['30', 7],
    ['+Inf', 7],
  ])('duration bucket le=%s counts %d of the recorded latencies (cumulative)', (le, want) => {
    const s = samples(renderMetrics(sample(), new Map()));
    expect(s.get(`sluice_request_duration_seconds_bucket{service="web",version="stable",le="${le}"}`)).toBe(want);
  });

  it('has monotone buckets ending in +Inf = _count, and _sum in seconds', () => {
    const s = samples(renderMetrics(sample(), new Map()));
    const labels = 'service="web",version="stable"';
    const counts = [...DURATION_BUCKETS_S.map(String), '+Inf'].map(
      (le) => s.get(`sluice_request_duration_seconds_bucket{${labels},le="${le}"}`)!,
    );
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    expect(s.get(`sluice_request_duration_seconds_count{${labels}}`)).toBe(counts.at(-1));
    expect(s.get(`sluice_request_duration_seconds_sum{${labels}}`)).toBeCloseTo(20.7841, 6);
  });

  it('escapes label values', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderMetrics(new Map([['we"b', new ServiceCounters().snapshot(0)]]), new Map([['we"b', 0]]));
    expect(text).toContain('sluice_canary_weight{service="we\\"b"} 0');
  });
});
