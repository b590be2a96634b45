import type { RunResult } from './types.js';

/** The figures bench/detection prints per scenario and policy. */
export interface RunSummary {
  runs: number;
  rollbackRate: number;
  promoteRate: number;
  holdRate: number;
  badMedian: number;
  badP95: number;
  decisionSecondsMedian: number;
  decisionSecondsP95: number;
}

/** Rates over all runs; quantiles by nearest rank (the ⌈q·n⌉-th smallest). */
export function summarise(results: readonly RunResult[]): RunSummary {
  const n = results.length;
  if (n === 0) throw new RangeError('summarise: no runs to summarise');
  const rate = (outcome: RunResult['outcome']): number => results.filter((r) => r.outcome === outcome).length / n;
  const bad = results.map((r) => r.badCanaryRequests);
  const seconds = results.map((r) => r.decisionSeconds);
  return {
    runs: n,
    rollbackRate: rate('rolledBack'),
    promoteRate: rate('promoted'),
    holdRate: rate('held'),
    badMedian: quantile(bad, 0.5),
    badP95: quantile(bad, 0.95),
    decisionSecondsMedian: quantile(seconds, 0.5),
    decisionSecondsP95: quantile(seconds, 0.95),
  };
}

/** Nearest-rank quantile of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
