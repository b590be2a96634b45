import type { PolicyOptions } from '../src/analysis/simulate/policy.js';
import type { RunSummary } from '../src/analysis/simulate/summary.js';
import type { Scenario } from '../src/analysis/simulate/types.js';

/** The six scenarios of issue 3: total rps, stable → canary error rate. */
export const SCENARIOS: readonly (Scenario & { title: string })[] = [
  { name: 'S1', title: 'gross bug (200; 0.5% → 5%)', rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.05 },
  { name: 'S2', title: 'subtle 2× (200; 0.5% → 1%)', rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.01 },
  { name: 'S3', title: 'healthy (200; 0.5% → 0.5%)', rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.005 },
  { name: 'S4', title: 'low traffic, gross (2; 0.5% → 5%)', rps: 2, stableErrorRate: 0.005, canaryErrorRate: 0.05 },
  { name: 'S5', title: 'low traffic, healthy (2; 0.5% → 0.5%)', rps: 2, stableErrorRate: 0.005, canaryErrorRate: 0.005 },
  { name: 'S6', title: 'tiny regression (1000; 0.1% → 0.2%)', rps: 1000, stableErrorRate: 0.001, canaryErrorRate: 0.002 },
];

/**
 * The four policies compared. Sluice runs its judge with its defaults (alpha 0.01,
 * minEffect 1 = a doubling, passAlpha = alpha) on Argo's steps.
 */
export const POLICIES: readonly PolicyOptions[] = [
  { type: 'sluice', name: 'sluice' },
  { type: 'flagger', name: 'flaggerThr5', threshold: 5 },
  { type: 'flagger', name: 'flaggerThr1', threshold: 1 },
  { type: 'argo', name: 'argo' },
];

export interface Target {
  scenario: string;
  text: string;
  met: (s: RunSummary) => boolean;
  /** The measured figure the target is about, for the printout. */
  show: (s: RunSummary) => string;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Issue 3's targets for Sluice's row. */
export const TARGETS: readonly Target[] = [
  { scenario: 'S1', text: 'median bad ≤ 8', met: (s) => s.badMedian <= 8, show: (s) => `${s.badMedian}` },
  { scenario: 'S1', text: 'p95 bad ≤ 14', met: (s) => s.badP95 <= 14, show: (s) => `${s.badP95}` },
  { scenario: 'S2', text: 'caught (not promoted) ≥ 99%', met: (s) => 1 - s.promoteRate >= 0.99, show: (s) => pct(1 - s.promoteRate) },
  { scenario: 'S2', text: 'median bad ≤ 32', met: (s) => s.badMedian <= 32, show: (s) => `${s.badMedian}` },
  { scenario: 'S3', text: 'wrongly rolled back ≤ 1%', met: (s) => s.rollbackRate <= 0.01, show: (s) => pct(s.rollbackRate) },
  {
    scenario: 'S3',
    text: 'promoted no later than 300 s (median decision, runs promoted ≥ 95%)',
    met: (s) => s.decisionSecondsMedian <= 300 && s.promoteRate >= 0.95,
    show: (s) => `median ${s.decisionSecondsMedian} s, p95 ${s.decisionSecondsP95} s, promoted ${pct(s.promoteRate)}`,
  },
  { scenario: 'S4', text: 'caught (rolled back or held) ≥ 99%', met: (s) => 1 - s.promoteRate >= 0.99, show: (s) => pct(1 - s.promoteRate) },
  { scenario: 'S5', text: 'wrongly rolled back ≤ 1%', met: (s) => s.rollbackRate <= 0.01, show: (s) => pct(s.rollbackRate) },
  { scenario: 'S6', text: 'caught before full promotion ≥ 98%', met: (s) => 1 - s.promoteRate >= 0.98, show: (s) => pct(1 - s.promoteRate) },
];
