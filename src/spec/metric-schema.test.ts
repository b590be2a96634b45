import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { rolloutJsonSchema } from './json-schema.js';
import { parseRolloutDocuments, validateRollout } from './parse-rollout.js';
import { formatSpecError } from './spec-error.js';

/** spec.analysis.metrics with providers, relative bounds, dryRun; consecutiveErrorLimit. */

// Lines 1–14; each case's metrics start at line 15.
const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
  strategy:
    canary:
      steps: [{setWeight: 50}]
  analysis:
    metrics:
`;

const doc = (metrics: string, extra = '') => `${HEAD}${metrics.replace(/^\n/, '')}${extra}`;
const errorsOf = (text: string) => parseRolloutDocuments(text, 'r.yaml').errors.map(formatSpecError);
const validateSchema = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true }).compile(rolloutJsonSchema());

describe('metrics with providers: valid', () => {
  it('normalises each provider to a typed source with defaults, and keeps builtin metrics as they were', () => {
    const text = doc(`
      - {name: success-rate, min: 99}
      - {name: error-rate, maxRatio: 1.2}
      - {name: latency-p99, maxRatio: 1.5, max: 800, dryRun: true}
      - name: checkout-error-ratio
        provider:
          prometheus:
            address: http://127.0.0.1:9090
            query: |
              sum(rate(sluice_request_errors_total{service="{{service}}",version="{{ version }}"}[{{window}}]))
        max: 0.01
      - name: orders-ok
        provider:
          http:
            url: http://127.0.0.1:9300/health?version={{version}}&at={{listen}}
            jsonPath: data.ratio
            headers: {Authorization: Bearer xyz}
            timeout: 2s
        min: 0.99
`, '    consecutiveErrorLimit: 2\n');
    const { rollouts, errors } = parseRolloutDocuments(text, 'r.yaml');
    expect(errors.map(formatSpecError)).toEqual([]);
    const analysis = rollouts[0].spec.analysis!;
    expect(analysis.consecutiveErrorLimit).toBe(2);
    expect(analysis.metrics).toEqual([
      { name: 'success-rate', min: 99 },
      { name: 'error-rate', maxRatio: 1.2 },
      { name: 'latency-p99', maxRatio: 1.5, max: 800, dryRun: true },
      {
        name: 'checkout-error-ratio',
        provider: {
          type: 'prometheus',
          address: 'http://127.0.0.1:9090',
          query: 'sum(rate(sluice_request_errors_total{service="{{service}}",version="{{ version }}"}[{{window}}]))\n',
          timeout: 5_000,
        },
        max: 0.01,
      },
      {
        name: 'orders-ok',
        provider: { type: 'http', url: 'http://127.0.0.1:9300/health?version={{version}}&at={{listen}}', jsonPath: 'data.ratio', headers: { Authorization: 'Bearer xyz' }, timeout: 2_000 },
        min: 0.99,
      },
    ]);
    expect(validateSchema(parseYaml(text)), JSON.stringify(validateSchema.errors)).toBe(true);
  });

  it('defaults consecutiveErrorLimit to 4', () => {
    const { rollouts } = parseRolloutDocuments(doc('      - {name: success-rate, min: 99}\n'), 'r.yaml');
    expect(rollouts[0].spec.analysis!.consecutiveErrorLimit).toBe(4);
  });
});

describe('metrics with providers: errors at the field', () => {
  it.each<[string, string, string[]]>([
    [
      'an unknown provider type lists the known ones',
      '      - {name: x, provider: {datadog: {query: q}}, max: 1}\n',
      ['r.yaml:15:30: spec.analysis.metrics[0].provider.datadog: unknown provider type "datadog"; known types are prometheus, http (omit provider for the builtin metrics).'],
    ],
    [
      'a misspelt provider type gets a suggestion',
      '      - {name: x, provider: {promethues: {query: q}}, max: 1}\n',
      ['r.yaml:15:30: spec.analysis.metrics[0].provider.promethues: unknown provider type "promethues"; known types are prometheus, http (omit provider for the builtin metrics). Did you mean "prometheus"?'],
    ],
    [
      'two providers at once',
      '      - {name: x, provider: {http: {url: "http://a/", jsonPath: a}, prometheus: {address: "http://p", query: up}}, max: 1}\n',
      ['r.yaml:15:69: spec.analysis.metrics[0].provider.prometheus: cannot be combined with "http"; each entry has exactly one of "prometheus", "http"'],
    ],
    [
      'an unknown placeholder in a query',
      '      - {name: x, provider: {prometheus: {address: "http://p:9090", query: "up{svc=\\"{{svc}}\\",v=\\"{{version}}\\"}"}}, max: 1}\n',
      ['r.yaml:15:76: spec.analysis.metrics[0].provider.prometheus.query: unknown placeholder {{svc}}; the placeholders are {{service}}, {{version}}, {{window}}, {{listen}}'],
    ],
    [
      'an unknown placeholder in a header',
      '      - {name: x, provider: {http: {url: "http://a/", jsonPath: a, headers: {X-Env: "{{env}}"}}}, max: 1}\n',
      ['r.yaml:15:85: spec.analysis.metrics[0].provider.http.headers.X-Env: unknown placeholder {{env}}; the placeholders are {{service}}, {{version}}, {{window}}, {{listen}}'],
    ],
    [
      'a bad field path',
      '      - {name: x, provider: {http: {url: "http://a/", jsonPath: "data..ratio"}}, min: 1}\n',
      ['r.yaml:15:65: spec.analysis.metrics[0].provider.http.jsonPath: field path "data..ratio" has an unexpected "." (at character 6); write it like data.ratio or data.items[0].value'],
    ],
    [
      'a Prometheus address that is not a URL, and a missing query',
      '      - {name: x, provider: {prometheus: {address: "127.0.0.1:9090"}}, max: 1}\n',
      [
        'r.yaml:15:42: spec.analysis.metrics[0].provider.prometheus.query: missing required field (an instant PromQL query that yields a scalar or exactly one series; may use {{service}}, {{version}}, {{window}} and {{listen}})',
        'r.yaml:15:52: spec.analysis.metrics[0].provider.prometheus.address: is not a valid URL, got "127.0.0.1:9090"; expected something like http://127.0.0.1:9090',
      ],
    ],
    [
      'an ftp URL for http',
      '      - {name: x, provider: {http: {url: "ftp://a/{{version}}", jsonPath: a}}, max: 1}\n',
      ['r.yaml:15:42: spec.analysis.metrics[0].provider.http.url: must be an http:// or https:// URL, got "ftp://a/{{version}}"'],
    ],
    [
      'no bound at all',
      '      - {name: x, provider: {http: {url: "http://a/", jsonPath: a}}, dryRun: true}\n',
      ['r.yaml:15:9: spec.analysis.metrics[0]: needs at least one bound: "min", "max" (absolute) or "minRatio", "maxRatio" (relative to stable)'],
    ],
    [
      'a non-builtin name without a provider',
      '      - {name: checkout-errors, max: 1}\n',
      ['r.yaml:15:16: spec.analysis.metrics[0].name: "checkout-errors" is not a builtin metric; use one of success-rate, error-rate, latency-p50, latency-p95, latency-p99, or give a provider (prometheus or http) for any other metric'],
    ],
    [
      'ratios the wrong way round, a negative ratio, a non-boolean dryRun, a rate above 100',
      '      - {name: error-rate, minRatio: 2, maxRatio: 1, max: 101}\n      - {name: latency-p99, maxRatio: -1, dryRun: yes}\n',
      [
        'r.yaml:15:38: spec.analysis.metrics[0].minRatio: must not exceed maxRatio (1), got 2',
        'r.yaml:15:59: spec.analysis.metrics[0].max: error-rate is a percentage: must be from 0 to 100, got 101',
        'r.yaml:16:39: spec.analysis.metrics[1].maxRatio: must be a number of at least 0, got -1',
        'r.yaml:16:51: spec.analysis.metrics[1].dryRun: must be true or false, got "yes"',
      ],
    ],
  ])('%s', (_name, metrics, errors) => {
    expect(errorsOf(doc(metrics))).toEqual(errors);
  });

  it('a negative consecutiveErrorLimit', () => {
    expect(errorsOf(doc('      - {name: success-rate, min: 99}\n', '    consecutiveErrorLimit: -1\n'))).toEqual([
      'r.yaml:16:28: spec.analysis.consecutiveErrorLimit: must be an integer of at least 0, got -1',
    ]);
  });
});

describe('JSON Schema for metrics', () => {
  it.each([
    ['a provider metric with any name', { name: 'orders', provider: { http: { url: 'http://a/', jsonPath: 'a' } }, min: 1 }, true],
    ['a relative-only builtin metric', { name: 'error-rate', maxRatio: 1.2 }, true],
    ['a non-builtin name without provider', { name: 'orders', min: 1 }, false],
    ['no bound', { name: 'error-rate', dryRun: true }, false],
    ['an unknown provider', { name: 'x', provider: { datadog: {} }, min: 1 }, false],
  ])('%s: %s', (_name, metric, valid) => {
    const input = parseYaml(doc('      - {name: success-rate, min: 99}\n')) as { spec: { analysis: { metrics: unknown[] } } };
    input.spec.analysis.metrics = [metric];
    expect(validateSchema(input)).toBe(valid);
    expect(validateRollout(input).errors.length === 0).toBe(valid);
  });
});
