import type { VersionWindow } from '../analysis/types.js';
import type { ServiceSnapshot, VersionCounters } from '../proxy/counters.js';
import { Histogram } from '../proxy/histogram.js';
import type { Measurement, MetricProvider, MetricQuery } from './provider.js';

export const BUILTIN_PROVIDER_TYPE = 'builtin';

/** Where cumulative per-version counters come from: the embedded proxy. */
export interface CounterSource {
  snapshot(service: string): ServiceSnapshot | undefined;
}

export interface MeasuredWindow {
  /** The window actually measured (may start later than asked, e.g. after a restart). */
  from: number;
  to: number;
  canary: VersionWindow;
  stable: VersionWindow;
  /** The canary's answers to mirrored requests, when the proxy counts them. */
  mirror?: VersionWindow;
}

export interface BuiltinOptions {
  now?: () => number;
  /** How long samples are kept per service (default 15 min). */
  retentionMs?: number;
}

/**
 * The proxy's own counts as a metric provider. It samples the proxy's
 * cumulative counters (call `sample()` about once a second) and answers for a
 * window by subtracting the sample at its start from the one at its end.
 * Counters start at zero when the proxy starts, so a window reaching back
 * before a restart is measured from the restart on, and says so in `from`.
 */
export class BuiltinProvider implements MetricProvider {
  readonly type = BUILTIN_PROVIDER_TYPE;
  private readonly samples = new Map<string, ServiceSnapshot[]>();
  private readonly now: () => number;
  private readonly retentionMs: number;

  constructor(
    private readonly source: CounterSource,
    opts: BuiltinOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.retentionMs = opts.retentionMs ?? 15 * 60_000;
  }

  /** Records the current counters of each service (and forgets samples past retention). */
  sample(services: Iterable<string>): void {
    const cutoff = this.now() - this.retentionMs;
    for (const service of services) {
      const snap = this.source.snapshot(service);
      if (!snap) continue;
      const list = this.samples.get(service) ?? [];
      list.push(snap);
      // Keep one sample at or before the cutoff so windows starting there still resolve.
      while (list.length > 2 && list[1]!.at <= cutoff) list.shift();
      this.samples.set(service, list);
    }
  }

  /**
   * Takes a sample of one service now: called when its routes change, so
   * windows can start exactly there, and just before a check is measured, so
   * that check's window ends there and the next one starts there.
   */
  mark(service: string): void {
    this.sample([service]);
  }

  /**
   * Per-version figures over [from, to]; undefined if the proxy does not carry the service.
   * Both ends are the sample nearest their time (the current counters are a candidate for
   * the end), so back-to-back windows share the sample between them: no request is lost
   * or counted twice, and a window never collapses because its start was rounded up to a
   * sample while its end was rounded down to the same one.
   */
  window(service: string, from: number, to: number): MeasuredWindow | undefined {
    const latest = this.source.snapshot(service);
    if (!latest) return undefined;
    const list = this.samples.get(service) ?? [];
    const end = closestTo([...list, latest], to)!;
    const start = closestTo(list, from);
    // No sample early enough: counters began at zero when the proxy started.
    const base = start && start.at <= end.at ? start : undefined;
    return {
      from: base ? Math.max(from, base.at) : Math.max(from, earliest(list, end)),
      to: end.at,
      canary: toWindow(end.canary, base?.canary),
      stable: toWindow(end.stable, base?.stable),
      ...(end.mirror ? { mirror: toWindow(end.mirror, base?.mirror) } : {}),
    };
  }

  async query(q: MetricQuery): Promise<Measurement> {
    const w = this.window(q.service, q.from, q.to);
    if (!w) return { phase: 'error', message: `the embedded proxy does not carry service "${q.service}"` };
    const v = w[q.version];
    const value = metricValue(q.metric, v);
    if (value === 'unknown') return { phase: 'error', message: `builtin provider has no metric "${q.metric}"; use success-rate, error-rate, request-rate or latency-p50/p95/p99` };
    if (value === undefined) return { phase: 'nodata', samples: v.requests, message: `no ${q.version} requests in the window` };
    return { phase: 'ok', value, samples: v.requests };
  }
}

function metricValue(metric: string, v: VersionWindow): number | undefined | 'unknown' {
  switch (metric) {
    case 'success-rate':
      return v.successRate;
    case 'error-rate':
      return v.successRate === undefined ? undefined : 100 - v.successRate;
    case 'request-count':
      return v.requests;
    case 'latency-p50':
      return v.p50;
    case 'latency-p95':
      return v.p95;
    case 'latency-p99':
      return v.p99;
    default:
      return 'unknown';
  }
}

/**
 * The sample nearest to `t`. Samples are taken every second and at every
 * weight change (`mark`), so a window that starts at a weight change begins at
 * that change's sample instead of a second earlier, with the old weight's traffic.
 */
function closestTo(list: ServiceSnapshot[], t: number): ServiceSnapshot | undefined {
  let best: ServiceSnapshot | undefined;
  for (const s of list) if (!best || Math.abs(s.at - t) < Math.abs(best.at - t)) best = s;
  return best;
}

function earliest(list: ServiceSnapshot[], end: ServiceSnapshot): number {
  return list[0]?.at ?? end.at;
}

/** Figures for the difference end − start of cumulative counters. */
export function toWindow(end: VersionCounters, start?: VersionCounters): VersionWindow {
  const requests = end.requests - (start?.requests ?? 0);
  const errors = end.errors - (start?.errors ?? 0);
  if (requests <= 0) return { requests: 0, errors: 0 };
  const h = Histogram.fromData(end.latency);
  if (start) h.subtract(Histogram.fromData(start.latency));
  const latency = h.count > 0 ? { p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99) } : {};
  return { requests, errors, successRate: (100 * (requests - errors)) / requests, ...latency };
}
