import { parseFieldPath } from '../metrics/field-path.js';
import { checkTemplate, renderTemplate } from '../metrics/template.js';
import { INVALID, object, oneKeyOf, optional, record, required, withDefault, isMapping, type Infer, type ObjectOut, type Report, type Schema } from './schema.js';
import { duration, number, string } from './schema-scalars.js';
import { describeValue } from './spec-error.js';
import { suggestName } from './suggest.js';
import type { BuiltinMetricName, MetricSourceSpec } from './types.js';

/**
 * One entry of `spec.analysis.metrics`: a builtin metric of the proxy's own
 * counts, or any metric from a provider (prometheus, http), with absolute
 * and/or relative (canary vs stable) bounds.
 */

const OWN_METRICS = ['success-rate', 'error-rate', 'latency-p50', 'latency-p95', 'latency-p99'] as const;
/** The proxy's own metrics, and the same of the canary's answers to mirrored requests (`mirror-…`). */
export const BUILTIN_METRICS: readonly BuiltinMetricName[] = [...OWN_METRICS, ...OWN_METRICS.map((m) => `mirror-${m}` as const)];

const SAMPLE_VALUES = { service: 'checkout', version: 'canary', window: '30s', listen: '127.0.0.1:8080' };

/** Text that may hold `{{service}}`-style placeholders; an unknown one is an error at the field. */
function templated(description: string, expected: string, check?: (rendered: string, raw: string) => string | undefined): Schema<string> {
  return string({
    description: `${description}; may use {{service}}, {{version}}, {{window}} and {{listen}}`,
    expected,
    // Checked with sample values filled in, so a placeholder may stand where the URL syntax allows it.
    check: (value) => checkTemplate(value) ?? check?.(renderTemplate(value, SAMPLE_VALUES), value),
  });
}

function httpUrl(value: string, what: string, allowQuery: boolean, raw = value): string | undefined {
  const got = `got ${JSON.stringify(raw)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL, ${got}; expected something like ${what}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, ${got}`;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials; pass them in headers';
  if (!allowQuery && (url.search !== '' || url.hash !== '')) return `must not have a query or fragment, ${got}`;
  return undefined;
}

const timeout = withDefault(duration('how long a query may take; longer is a provider error'), '5s');

const prometheus = object(
  {
    address: required(string({
      description: "the Prometheus server's base URL",
      expected: 'an http:// or https:// URL such as http://127.0.0.1:9090',
      check: (v) => httpUrl(v, 'http://127.0.0.1:9090', false),
    })),
    query: required(templated('an instant PromQL query that yields a scalar or exactly one series', 'a PromQL query')),
    timeout,
  },
  { description: 'a PromQL query against a Prometheus server (GET /api/v1/query at the end of the check window)' },
);

const http = object(
  {
    url: required(templated('the URL of a JSON document to GET', 'an http:// or https:// URL', (v, raw) => httpUrl(v, 'http://127.0.0.1:9300/health', true, raw))),
    jsonPath: required(string({
      description: 'where the number is in the JSON response, in dot/bracket notation such as data.ratio or items[0].value',
      expected: 'a field path such as data.ratio',
      check: (v) => {
        const parsed = parseFieldPath(v);
        return parsed.ok ? undefined : parsed.message;
      },
    })),
    headers: optional(record(
      string({ description: 'header name', expected: 'an HTTP header name such as Authorization', pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/ }),
      templated('header value', 'a header value', (v) => (/[\r\n]/.test(v) ? 'must not contain line breaks' : undefined)),
      'request headers, e.g. Authorization',
    )),
    timeout,
  },
  { description: 'a JSON document fetched over HTTP; jsonPath picks the value' },
);

const PROVIDERS = { prometheus, http };
const PROVIDER_NAMES = Object.keys(PROVIDERS);

/** The provider mapping (`{prometheus: {…}}`) as a `MetricSourceSpec` (`{type: 'prometheus', …}`). */
function provider(): Schema<MetricSourceSpec> {
  const inner = oneKeyOf(PROVIDERS, 'where the metric comes from: exactly one of prometheus or http; omit it for the builtin metrics');
  return {
    description: inner.description,
    parse(value, path, issues) {
      if (isMapping(value)) {
        const unknown = Object.keys(value).filter((k) => !PROVIDER_NAMES.includes(k));
        if (unknown.length > 0 && Object.keys(value).length === unknown.length) {
          for (const k of unknown) {
            const guess = suggestName(k, PROVIDER_NAMES);
            const hint = guess ? ` Did you mean "${guess}"?` : '';
            issues.push({ path: [...path, k], at: 'key', message: `unknown provider type "${k}"; known types are ${PROVIDER_NAMES.join(', ')} (omit provider for the builtin metrics).${hint}` });
          }
          return INVALID;
        }
      }
      const parsed = inner.parse(value, path, issues);
      if (parsed === INVALID) return INVALID;
      if ('prometheus' in parsed) return { type: 'prometheus', ...parsed.prometheus };
      const { headers, ...rest } = parsed.http;
      return { type: 'http', ...rest, ...(headers ? { headers } : {}) };
    },
    toJsonSchema: () => inner.toJsonSchema(),
  };
}

function boolean(description: string): Schema<boolean> {
  return {
    description,
    parse(value, path, issues) {
      if (typeof value === 'boolean') return value;
      issues.push({ path, at: 'value', message: `must be true or false, got ${describeValue(value)}` });
      return INVALID;
    },
    toJsonSchema: () => ({ type: 'boolean', description }),
  };
}

const metricFields = {
  name: required(string({
    description: `the metric: with no provider one of ${OWN_METRICS.join(', ')}, or mirror- and one of them for the canary's answers to mirrored requests (rates in percent, latencies in milliseconds); with a provider, any name`,
    expected: 'a metric name of letters, digits, "-", "_", "." and ":", such as success-rate',
    pattern: /^[A-Za-z0-9][-A-Za-z0-9_.:]*$/,
    maxLength: 100,
  })),
  provider: optional(provider()),
  min: optional(number({ description: "lowest passing value of the canary's metric" })),
  max: optional(number({ description: "highest passing value of the canary's metric" })),
  minRatio: optional(number({ description: "relative check: the canary's value must be at least minRatio × stable's over the same window", min: 0 })),
  maxRatio: optional(number({ description: "relative check: the canary's value must be at most maxRatio × stable's over the same window", min: 0 })),
  dryRun: optional(boolean('evaluate and record this metric, but never let it change the rollout (default false)')),
};

const BOUNDS = ['min', 'max', 'minRatio', 'maxRatio'] as const;

/** One threshold check. */
export const metric = object(
  metricFields,
  {
    description: 'a threshold check on one metric: absolute bounds (min/max) on the canary, relative bounds (minRatio/maxRatio) against stable, or both',
    check: checkMetric,
    jsonSchema: {
      allOf: [
        { anyOf: BOUNDS.map((b) => ({ required: [b] })) },
        { anyOf: [{ required: ['provider'] }, { properties: { name: { enum: [...BUILTIN_METRICS] } } }] },
      ],
    },
  },
);

export type MetricInput = Infer<typeof metric>;

function checkMetric(value: Partial<ObjectOut<typeof metricFields>>, report: Report, raw: Readonly<Record<string, unknown>>): void {
  if (BOUNDS.every((b) => raw[b] === undefined)) {
    report([], 'value', 'needs at least one bound: "min", "max" (absolute) or "minRatio", "maxRatio" (relative to stable)');
  }
  const { name, min, max, minRatio, maxRatio } = value;
  if (raw.provider === undefined && name !== undefined) {
    if (!(BUILTIN_METRICS as readonly string[]).includes(name)) {
      const guess = suggestName(name, BUILTIN_METRICS);
      report(['name'], 'value', `${JSON.stringify(name)} is not a builtin metric${guess ? ` (did you mean "${guess}"?)` : ''}; use one of ${OWN_METRICS.join(', ')}, or give a provider (prometheus or http) for any other metric`);
    } else {
      const [lo, hi, unit] = name.endsWith('-rate') ? [0, 100, 'a percentage'] : [0, Infinity, 'milliseconds'];
      for (const [key, v] of [['min', min], ['max', max]] as const) {
        if (v !== undefined && (v < lo || v > hi)) {
          report([key], 'value', `${name} is ${unit}: must be ${hi === Infinity ? `at least ${lo}` : `from ${lo} to ${hi}`}, got ${v}`);
        }
      }
      // 0.99 for "99%" is the classic slip (Argo writes success rates as ratios).
      if (name === 'success-rate' && min !== undefined && min > 0 && min < 1) {
        report(['min'], 'value', `success-rate is a percentage: ${min} means ${min}%, which passes almost anything; write ${min * 100} for ${min * 100}%`);
      }
    }
  }
  if (min !== undefined && max !== undefined && min > max) report(['min'], 'value', `must not exceed max (${max}), got ${min}`);
  if (minRatio !== undefined && maxRatio !== undefined && minRatio > maxRatio) report(['minRatio'], 'value', `must not exceed maxRatio (${maxRatio}), got ${minRatio}`);
}
