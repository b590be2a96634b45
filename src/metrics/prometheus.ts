import type { Dispatcher } from 'undici';
import type { MetricSourceSpec } from '../spec/types.js';
import { describeUrl, getText, snippet, type HttpReply } from './http-get.js';
import type { Measurement, MetricProvider, MetricQuery } from './provider.js';
import { renderTemplate, templateValues } from './template.js';

export const PROMETHEUS_PROVIDER_TYPE = 'prometheus';

export type PrometheusSource = Extract<MetricSourceSpec, { type: 'prometheus' }>;

/**
 * A PromQL instant query evaluated at the end of the check window
 * (`GET {address}/api/v1/query?query=…&time=…`). The query must yield a
 * scalar or exactly one series; anything else is an error measurement that
 * says how to fix the query. Never throws.
 */
export class PrometheusProvider implements MetricProvider {
  readonly type = PROMETHEUS_PROVIDER_TYPE;
  private readonly endpoint: string;

  constructor(
    private readonly source: PrometheusSource,
    private readonly opts: { dispatcher?: Dispatcher } = {},
  ) {
    this.endpoint = `${source.address.replace(/\/+$/, '')}/api/v1/query`;
  }

  async query(q: MetricQuery): Promise<Measurement> {
    const promql = renderTemplate(this.source.query, templateValues(q));
    const params = new URLSearchParams({ query: promql, time: (q.to / 1000).toFixed(3) });
    const got = await getText(`${this.endpoint}?${params}`, { timeoutMs: this.source.timeout, dispatcher: this.opts.dispatcher });
    if (!got.ok) return { phase: 'error', message: `Prometheus unreachable: ${got.message}` };
    return parsePrometheusReply(got.reply, describeUrl(this.endpoint));
  }
}

interface PromBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

/** Turns Prometheus's answer to an instant query into a Measurement. Pure; exported for tests. */
export function parsePrometheusReply(reply: HttpReply, where = 'Prometheus'): Measurement {
  let body: PromBody;
  try {
    body = JSON.parse(reply.text) as PromBody;
  } catch {
    return { phase: 'error', message: `${where} answered ${reply.status} with a body that is not JSON: ${snippet(reply.text)}` };
  }
  if (typeof body !== 'object' || body === null) return { phase: 'error', message: `${where} answered ${reply.status} with ${snippet(reply.text)}, not a query result` };
  if (reply.status < 200 || reply.status > 299 || body.status !== 'success') {
    const kind = typeof body.errorType === 'string' ? ` ${body.errorType}` : '';
    const why = typeof body.error === 'string' ? body.error : snippet(reply.text);
    return { phase: 'error', message: `Prometheus refused the query (${reply.status}${kind}): ${why}` };
  }
  const { resultType, result } = body.data ?? {};
  switch (resultType) {
    case 'scalar':
      return sampleValue(result);
    case 'vector': {
      if (!Array.isArray(result)) return malformed(reply);
      if (result.length === 0) return { phase: 'nodata', message: 'the query returned no series (empty vector): nothing matched in the window' };
      if (result.length > 1) {
        const shown = result.slice(0, 3).map((s: { metric?: Record<string, string> }) => labels(s.metric)).join(', ');
        return {
          phase: 'error',
          message: `the query returned ${result.length} series (${shown}${result.length > 3 ? ', …' : ''}); it must aggregate to one series, e.g. wrap it in sum(…)`,
        };
      }
      return sampleValue((result[0] as { value?: unknown }).value);
    }
    case 'matrix':
      return { phase: 'error', message: 'the query returned a range vector; use an instant query, e.g. rate(x[{{window}}]) rather than x[{{window}}]' };
    default:
      return { phase: 'error', message: `the query returned a ${String(resultType)}; it must yield a number (a scalar or one series)` };
  }
}

function sampleValue(sample: unknown): Measurement {
  if (!Array.isArray(sample) || typeof sample[1] !== 'string') return { phase: 'error', message: `Prometheus sent a malformed sample: ${snippet(JSON.stringify(sample) ?? '')}` };
  const text = sample[1];
  if (text === 'NaN') return { phase: 'nodata', message: 'the query yielded NaN (such as 0/0: no requests in the window)' };
  if (/^[+-]?Inf$/.test(text)) return { phase: 'error', message: `the query yielded ${text} (a division by zero?)` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { phase: 'error', message: `the query yielded ${JSON.stringify(text)}, not a number` };
  return { phase: 'ok', value };
}

function malformed(reply: HttpReply): Measurement {
  return { phase: 'error', message: `Prometheus sent a malformed result: ${snippet(reply.text)}` };
}

function labels(metric: Record<string, string> | undefined): string {
  const entries = Object.entries(metric ?? {});
  return `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
