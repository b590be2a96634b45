import { wordingOf } from '../engine/describe.js';
import { evaluateThresholds, type MetricMeasurements } from '../analysis/threshold.js';
import type { CheckResult, VersionWindow } from '../analysis/types.js';
import { createProvider } from '../metrics/index.js';
import type { Measurement, MetricProvider, MetricQuery } from '../metrics/provider.js';
import type { MetricCheckSpec, MetricSourceSpec } from '../spec/types.js';
import type { RolloutRecord } from '../store/store.js';

/** Per-version figures for one service over [from, to]; undefined when the service is not measured at all. */
export interface WindowSource {
  window(service: string, from: number, to: number): { from: number; to: number; canary: VersionWindow; stable: VersionWindow; mirror?: VersionWindow } | undefined;
  /** Take a sample now: the service's routes just changed, or a check is about to be measured, so a window can start or end exactly here. */
  mark?(service: string): void;
}

/** Makes the provider for a metric's source (default: the metrics/ factory). */
export type ProviderFactory = (source: MetricSourceSpec) => MetricProvider;

const EMPTY: VersionWindow = { requests: 0, errors: 0 };

/**
 * Measures one check window and judges it: builtin metrics from the proxy's
 * window, the others through their providers (both versions when the check
 * is relative, all queries at once). Missing data or a failing provider
 * yields an inconclusive metric, never a pass.
 */
export async function measureCheck(
  source: WindowSource,
  record: RolloutRecord,
  from: number,
  to: number,
  providers: ProviderFactory = (s) => createProvider(s),
): Promise<CheckResult> {
  const analysis = record.state.spec.analysis;
  const measured = source.window(record.name, from, to);
  const remote = analysis?.metrics.filter((m) => m.provider !== undefined) ?? [];
  if (!analysis || (!measured && remote.length === 0)) {
    return {
      verdict: 'inconclusive',
      from,
      to,
      canary: EMPTY,
      stable: EMPTY,
      metrics: [],
      summary: `no measurements for "${record.name}" between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}`,
    };
  }
  const base = { service: record.name, from, to, listen: record.state.spec.service.listen };
  const entries = await Promise.all(remote.map(async (m) => [m.name, await measureRemote(m, base, providers)] as const));
  const window = measured ? { from: measured.from, to: measured.to } : { from, to };
  return evaluateThresholds(analysis, measured?.canary ?? EMPTY, measured?.stable ?? EMPTY, window, Object.fromEntries(entries), measured?.mirror, wordingOf(record.state));
}

async function measureRemote(metric: MetricCheckSpec, base: Omit<MetricQuery, 'version' | 'metric'>, providers: ProviderFactory): Promise<MetricMeasurements> {
  let provider: MetricProvider;
  try {
    provider = providers(metric.provider!);
  } catch (err) {
    const error: Measurement = { phase: 'error', message: err instanceof Error ? err.message : String(err) };
    return { canary: error, stable: error };
  }
  const ask = (version: MetricQuery['version']) => safely(provider, { ...base, version, metric: metric.name });
  const relative = metric.minRatio !== undefined || metric.maxRatio !== undefined;
  const [canary, stable] = await Promise.all([ask('canary'), relative ? ask('stable') : undefined]);
  return stable ? { canary, stable } : { canary };
}

/** Providers never throw by contract; one that does still yields an error measurement, not a crashed check. */
async function safely(provider: MetricProvider, q: MetricQuery): Promise<Measurement> {
  try {
    return await provider.query(q);
  } catch (err) {
    return { phase: 'error', message: `the ${provider.type} provider failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
