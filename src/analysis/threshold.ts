import { countOf, TRAFFIC_WORDING, type Wording } from './wording.js';
import type { Measurement } from '../metrics/provider.js';
import type { AnalysisSpec, BuiltinMetricName, MetricCheckSpec } from '../spec/types.js';
import { formatValue, plural, relativePhrase, withinPhrase } from './threshold-reason.js';
import { worse } from './types.js';
import type { CheckResult, MetricVerdict, Verdict, VersionWindow } from './types.js';

export { formatValue } from './threshold-reason.js';

/** What a provider measured for one metric over the check window: the canary always, stable for relative checks. */
export interface MetricMeasurements {
  canary: Measurement;
  stable?: Measurement;
}

/**
 * Threshold checks with Flagger/Argo semantics: each metric of the canary is
 * held against its absolute bounds (min/max) and its bounds relative to
 * stable over the same window (minRatio/maxRatio). Too few canary requests,
 * no value or a provider error is `inconclusive` — never a pass — so a quiet
 * canary is not promoted blind. The overall verdict is the worst of the
 * metrics', leaving out dry-run metrics.
 *
 * Builtin metrics are read from the windows (`mirror-*` ones from `mirror`,
 * the canary's answers to mirrored copies of stable's requests); metrics with
 * a provider need their measurements in `measured`, keyed by metric name.
 */
export function evaluateThresholds(
  analysis: AnalysisSpec,
  canary: VersionWindow,
  stable: VersionWindow,
  window: { from: number; to: number },
  measured: Readonly<Record<string, MetricMeasurements>> = {},
  mirror?: VersionWindow,
  words: Wording = TRAFFIC_WORDING,
): CheckResult {
  const metrics = analysis.metrics.map((metric) => {
    const mirrored = isMirrorMetric(metric);
    const subject = mirrored ? (mirror ?? { requests: 0, errors: 0 }) : canary;
    const m = Object.hasOwn(measured, metric.name) ? measured[metric.name] : builtinMeasurements(metric, subject, stable);
    const verdict = judgeMetric(metric, m, { canary: subject, stable, minRequests: analysis.minRequests, noun: mirrored ? ['mirrored request', 'mirrored requests'] : words.canaryRequest, short: mirrored ? 'mirrored' : words.canaryShort, words });
    return metric.dryRun ? { ...verdict, dryRun: true } : verdict;
  });
  const counted = metrics.filter((m) => !m.dryRun);
  let verdict: Verdict = counted.length === 0 ? volumeVerdict(canary, analysis.minRequests) : 'pass';
  for (const m of counted) verdict = worse(verdict, m.verdict);
  return {
    verdict,
    from: window.from,
    to: window.to,
    canary: { ...canary },
    stable: { ...stable },
    ...(mirror ? { mirror: { ...mirror } } : {}),
    metrics,
    summary: summarize(verdict, metrics, canary, stable, analysis.minRequests, words),
  };
}

/** Which figure of a window each builtin metric reads, and its unit. */
const OWN_READERS = {
  'success-rate': { read: (w: VersionWindow) => w.successRate, unit: '%', kind: 'rate' },
  'error-rate': { read: (w: VersionWindow) => (w.requests > 0 ? (100 * w.errors) / w.requests : undefined), unit: '%', kind: 'rate' },
  'latency-p50': { read: (w: VersionWindow) => w.p50, unit: 'ms', kind: 'latency' },
  'latency-p95': { read: (w: VersionWindow) => w.p95, unit: 'ms', kind: 'latency' },
  'latency-p99': { read: (w: VersionWindow) => w.p99, unit: 'ms', kind: 'latency' },
} as const;
/** `mirror-<name>` reads the same figure of the mirror's window. */
type Reader = { read: (w: VersionWindow) => number | undefined; unit: '%' | 'ms'; kind: 'rate' | 'latency' };
const READERS: Record<BuiltinMetricName, Reader> = {
  ...OWN_READERS,
  ...(Object.fromEntries(Object.entries(OWN_READERS).map(([k, v]) => [`mirror-${k}`, v])) as Record<`mirror-${keyof typeof OWN_READERS}`, Reader>),
};

/** What a builtin metric is: a rate of failed requests in percent, or a latency in milliseconds. */
export interface BuiltinMetricInfo {
  /** `rate`: success-rate or error-rate, counted from errors; `latency`: a quantile of response times. */
  kind: 'rate' | 'latency';
  unit: '%' | 'ms';
  /** Read from the canary's answers to mirrored copies of stable's requests, not from its own traffic. */
  mirrored: boolean;
}

/** What a metric of the spec is, when it is builtin (the proxy's own counts); undefined for a provider's metric. */
export function builtinMetricInfo(metric: Pick<MetricCheckSpec, 'name' | 'provider'>): BuiltinMetricInfo | undefined {
  const r = reader(metric);
  return r === undefined ? undefined : { kind: r.kind, unit: r.unit, mirrored: isMirrorMetric(metric) };
}

/** A builtin metric of the canary's answers to mirrored requests. */
function isMirrorMetric(metric: Pick<MetricCheckSpec, 'name' | 'provider'>): boolean {
  return metric.provider === undefined && metric.name.startsWith('mirror-');
}

const BUILTIN_NAMES = Object.keys(READERS).join(', ');

function reader(metric: Pick<MetricCheckSpec, 'name' | 'provider'>): Reader | undefined {
  return metric.provider === undefined && Object.hasOwn(READERS, metric.name) ? READERS[metric.name as BuiltinMetricName] : undefined;
}

/** A builtin metric's value for each version, read from the proxy's windows. */
export function builtinMeasurements(metric: MetricCheckSpec, canary: VersionWindow, stable: VersionWindow): MetricMeasurements {
  const r = reader(metric);
  const measure = (w: VersionWindow, version: string): Measurement => {
    if (metric.provider !== undefined) return { phase: 'error', message: `${metric.name} was not measured by its ${metric.provider.type} provider` };
    if (r === undefined) return { phase: 'error', message: `unknown metric "${metric.name}"; use one of ${BUILTIN_NAMES}` };
    const value = r.read(w);
    if (value === undefined) return { phase: 'nodata', samples: w.requests, message: `no ${version} requests in the window` };
    return { phase: 'ok', value, samples: w.requests };
  };
  return { canary: measure(canary, 'canary'), stable: measure(stable, 'stable') };
}

interface Context {
  /** The window the metric measures: the canary's own, or the mirror's for `mirror-*` metrics. */
  canary: VersionWindow;
  stable: VersionWindow;
  minRequests: number;
  /** What the measured requests are called in reasons (one, several). */
  noun: readonly [string, string];
  /** The measured side in "(1000 canary and 4000 stable requests)". */
  short: string;
  words: Wording;
}

function judgeMetric(metric: MetricCheckSpec, m: MetricMeasurements, ctx: Context): MetricVerdict {
  const builtin = metric.provider === undefined;
  const unit = reader(metric)?.unit ?? '';
  const samples = builtin ? ctx.canary.requests : (m.canary.samples ?? 0);
  const relative = metric.minRatio !== undefined || metric.maxRatio !== undefined;
  const base: MetricVerdict = { name: metric.name, samples, ...bounds(metric), ...(builtin ? {} : { provider: metric.provider!.type }), verdict: 'inconclusive', reason: '' };
  const source = builtin ? `(${plural(samples, 'request')})` : `(${metric.provider!.type})`;
  const inconclusive = (reason: string, extra: Partial<MetricVerdict> = {}): MetricVerdict => ({ ...base, ...extra, verdict: 'inconclusive', reason });

  const failed = ([['canary', m.canary], ['stable', relative ? m.stable : undefined]] as const).find(([, x]) => x?.phase === 'error');
  if (failed) {
    const [version, x] = failed;
    const message = x!.message ?? 'no message';
    const what = builtin ? 'could not be measured' : `query to ${metric.provider!.type} failed`;
    return inconclusive(`${metric.name} ${what} for the ${version === 'canary' ? ctx.words.canary : ctx.words.stable}: ${message}`, { error: message });
  }
  const value = m.canary.phase === 'ok' ? m.canary.value : undefined;
  const withValue = value === undefined ? {} : { value };
  if (builtin && samples < ctx.minRequests) {
    return inconclusive(`only ${countOf(samples, ctx.noun)} in the window; need ${ctx.minRequests}`, withValue);
  }
  if (value === undefined || !Number.isFinite(value)) {
    const why = builtin ? source : `(${m.canary.message ?? `${metric.provider!.type} returned no value`})`;
    return inconclusive(`no ${metric.name} value for the ${ctx.words.canary} in the window ${why}`);
  }
  const shown = (v: number, bound?: number): string => formatValue(v, unit, bound);
  if (metric.min !== undefined && value < metric.min) {
    return { ...base, value, verdict: 'fail', reason: `${metric.name} ${shown(value, metric.min)} is below the minimum ${shown(metric.min)} ${source}` };
  }
  if (metric.max !== undefined && value > metric.max) {
    return { ...base, value, verdict: 'fail', reason: `${metric.name} ${shown(value, metric.max)} is above the maximum ${shown(metric.max)} ${source}` };
  }
  if (!relative) return { ...base, value, verdict: 'pass', reason: `${metric.name} ${shown(value)} ${withinPhrase(metric, shown)} ${source}` };

  const stableValue = m.stable?.phase === 'ok' ? m.stable.value : undefined;
  if (builtin && ctx.stable.requests < ctx.minRequests) {
    return inconclusive(`only ${countOf(ctx.stable.requests, ctx.words.stableRequest)} in the window to compare ${metric.name} with; need ${ctx.minRequests}`, { value });
  }
  if (stableValue === undefined || !Number.isFinite(stableValue)) {
    const why = m.stable?.message ?? 'not measured';
    return inconclusive(`${metric.name} ${shown(value)} cannot be compared with ${ctx.words.stable}: no value for ${ctx.words.stable} in the window (${why})`, { value });
  }
  const rel = relativePhrase(metric, value, stableValue, shown);
  const counts = builtin ? ` (${ctx.canary.requests} ${ctx.short} and ${countOf(ctx.stable.requests, ctx.words.stableRequest)})` : ` ${source}`;
  const figures = { value, stableValue, ...(rel.ratio === undefined ? {} : { ratio: rel.ratio }) };
  if (!rel.ok) return { ...base, ...figures, verdict: 'fail', reason: `${metric.name} ${shown(value)} ${rel.text}${counts}` };
  const absolute = metric.min !== undefined || metric.max !== undefined ? `${withinPhrase(metric, shown)} and ` : '';
  return { ...base, ...figures, verdict: 'pass', reason: `${metric.name} ${shown(value)} ${absolute}${rel.text}${counts}` };
}

function bounds(metric: MetricCheckSpec): Pick<MetricVerdict, 'min' | 'max' | 'minRatio' | 'maxRatio'> {
  const out: Pick<MetricVerdict, 'min' | 'max' | 'minRatio' | 'maxRatio'> = {};
  for (const key of ['min', 'max', 'minRatio', 'maxRatio'] as const) if (metric[key] !== undefined) out[key] = metric[key];
  return out;
}

/** With no metrics counted, a check still needs enough canary traffic to count. */
function volumeVerdict(canary: VersionWindow, minRequests: number): Verdict {
  return canary.requests < minRequests ? 'inconclusive' : 'pass';
}

function summarize(verdict: Verdict, metrics: MetricVerdict[], canary: VersionWindow, stable: VersionWindow, minRequests: number, words: Wording): string {
  const traffic = `${words.canary} ${plural(canary.requests, 'request')}, ${words.stable} ${plural(stable.requests, 'request')}`;
  const counted = metrics.filter((m) => !m.dryRun);
  const dry = metrics.filter((m) => m.dryRun && m.verdict !== 'pass').map((m) => `; dry-run ${m.verdict} (ignored): ${m.reason}`).join('');
  if (counted.length === 0) {
    const why = verdict === 'pass' ? 'no metrics to judge' : `only ${countOf(canary.requests, words.canaryRequest)}; need ${minRequests}`;
    return `${verdict}: ${why}${dry} — ${traffic}`;
  }
  const worst = new Set(counted.filter((m) => m.verdict === verdict).map((m) => m.reason));
  const why = verdict === 'pass' ? `all ${plural(counted.length, 'metric')} within bounds` : [...worst].join('; ');
  return `${verdict}: ${why}${dry} — ${traffic}`;
}
