import type { CheckResult } from '../analysis/types.js';
import { DEFAULT_CONSECUTIVE_ERROR_LIMIT, type AnalysisSpec } from '../spec/types.js';
import type { AnalysisCounters } from './types.js';

/**
 * Argo's consecutiveErrorLimit: each metric whose provider failed in this
 * check (`error` set on its verdict) extends its run of errors; any other
 * outcome ends the run. A run longer than the limit fails the analysis.
 * Dry-run metrics never count. Returns the rollback message when a run broke
 * the limit, else undefined; updates `counters.consecutiveErrors` in place.
 */
export function trackProviderErrors(counters: AnalysisCounters, spec: AnalysisSpec, result: CheckResult): string | undefined {
  const limit = spec.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT;
  const runs: Record<string, number> = { ...counters.consecutiveErrors };
  let broken: string | undefined;
  for (const m of result.metrics) {
    if (m.dryRun) continue;
    if (m.error === undefined) {
      delete runs[m.name];
      continue;
    }
    const n = (runs[m.name] ?? 0) + 1;
    runs[m.name] = n;
    if (n > limit && broken === undefined) {
      const source = m.provider === undefined ? 'could not be measured' : `failed to measure on its ${m.provider} provider`;
      broken = `rolled back: ${m.name} ${source} ${n} times in a row (${limit} tolerated): ${m.error}`;
    }
  }
  if (Object.keys(runs).length > 0) counters.consecutiveErrors = runs;
  else delete counters.consecutiveErrors;
  return broken;
}
