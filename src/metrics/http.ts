import type { Dispatcher } from 'undici';
import type { MetricSourceSpec } from '../spec/types.js';
import { formatFieldPath, kindOf, lookup, parseFieldPath, type PathSegment } from './field-path.js';
import { describeUrl, getText, snippet, type HttpReply } from './http-get.js';
import type { Measurement, MetricProvider, MetricQuery } from './provider.js';
import { renderTemplate, templateValues } from './template.js';

export const HTTP_PROVIDER_TYPE = 'http';

export type HttpSource = Extract<MetricSourceSpec, { type: 'http' }>;

/**
 * A number from a JSON document: `GET url` (templated, with optional headers)
 * and the value at `jsonPath`. A non-2xx status, a body that is not JSON, a
 * missing field or a value that is not a number is an error measurement
 * saying which; null is no data. Never throws.
 */
export class HttpProvider implements MetricProvider {
  readonly type = HTTP_PROVIDER_TYPE;
  private readonly path: { ok: true; segments: PathSegment[] } | { ok: false; message: string };

  constructor(
    private readonly source: HttpSource,
    private readonly opts: { dispatcher?: Dispatcher } = {},
  ) {
    this.path = parseFieldPath(source.jsonPath);
  }

  async query(q: MetricQuery): Promise<Measurement> {
    if (!this.path.ok) return { phase: 'error', message: this.path.message };
    const values = templateValues(q);
    const url = renderTemplate(this.source.url, values);
    const headers = Object.fromEntries(Object.entries(this.source.headers ?? {}).map(([k, v]) => [k, renderTemplate(v, values)]));
    const got = await getText(url, { headers, timeoutMs: this.source.timeout, dispatcher: this.opts.dispatcher });
    if (!got.ok) return { phase: 'error', message: got.message };
    return readReply(got.reply, this.path.segments, `GET ${describeUrl(url)}`);
  }
}

/** The number at `segments` in a JSON reply, as a Measurement. Pure; exported for tests. */
export function readReply(reply: HttpReply, segments: readonly PathSegment[], what = 'the endpoint'): Measurement {
  if (reply.status < 200 || reply.status > 299) return { phase: 'error', message: `${what} answered ${reply.status}: ${snippet(reply.text)}` };
  let doc: unknown;
  try {
    doc = JSON.parse(reply.text);
  } catch {
    return { phase: 'error', message: `${what} answered with a body that is not JSON: ${snippet(reply.text)}` };
  }
  const path = formatFieldPath(segments);
  const found = lookup(doc, segments);
  if (!found.found) return { phase: 'error', message: `${what}: field ${path} not found: ${found.message}` };
  const v = found.value;
  if (v === null) return { phase: 'nodata', message: `${what}: field ${path} is null` };
  const value = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (typeof v === 'string' && v.trim() === 'NaN') return { phase: 'nodata', message: `${what}: field ${path} is "NaN"` };
  if (!Number.isFinite(value)) return { phase: 'error', message: `${what}: field ${path} is ${kindOf(v)}, not a number` };
  return { phase: 'ok', value };
}
