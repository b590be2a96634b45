import { evaluateThresholds } from '../analysis/threshold.js';
import type { CheckResult, VersionWindow } from '../analysis/types.js';
import type { RolloutRecord } from '../store/store.js';

/** Per-version figures for one service over [from, to]; undefined when the service is not measured at all. */
export interface WindowSource {
  window(service: string, from: number, to: number): { from: number; to: number; canary: VersionWindow; stable: VersionWindow } | undefined;
  /** Note that the service's routes just changed, so a window can start exactly here. */
  mark?(service: string): void;
}

const EMPTY: VersionWindow = { requests: 0, errors: 0 };

/** Measures one check window and judges it; missing data yields an inconclusive check, never a pass. */
export function measureCheck(source: WindowSource, record: RolloutRecord, from: number, to: number): CheckResult {
  const analysis = record.state.spec.analysis;
  const measured = source.window(record.name, from, to);
  if (!analysis || !measured) {
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
  return evaluateThresholds(analysis, measured.canary, measured.stable, { from: measured.from, to: measured.to });
}
