import type { RunSummary } from '../src/analysis/simulate/summary.js';
import type { Target } from './detection-scenarios.js';

/** Results keyed by scenario, then policy name. */
export type Results = Record<string, Record<string, RunSummary>>;

const FIELDS = ['rollbackRate', 'promoteRate', 'badMedian', 'badP95', 'decisionSecondsMedian', 'decisionSecondsP95'] as const;

/** The human table: one block per scenario, one row per policy. */
export function formatTable(results: Results, titles: Record<string, string>): string {
  const header = ['policy', 'rollback', 'promote', 'held', 'bad p50', 'bad p95', 'decide p50 s', 'decide p95 s'];
  const lines: string[] = [];
  for (const [scenario, byPolicy] of Object.entries(results)) {
    lines.push(`${scenario} ${titles[scenario] ?? ''}`);
    const rows = Object.entries(byPolicy).map(([policy, s]) => [
      policy,
      pct(s.rollbackRate),
      pct(s.promoteRate),
      pct(s.holdRate),
      String(s.badMedian),
      String(s.badP95),
      String(s.decisionSecondsMedian),
      String(s.decisionSecondsP95),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]): string => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    lines.push(fmt(header), ...rows.map(fmt), '');
  }
  return lines.join('\n');
}

/** Each target with ✓ or ✗ and the measured figure; returns the lines and whether all were met. */
export function formatTargets(results: Results, targets: readonly Target[], policy: string): { text: string; allMet: boolean } {
  let allMet = true;
  const lines = targets.map((t) => {
    const s = results[t.scenario]?.[policy];
    const met = s !== undefined && t.met(s);
    allMet &&= met;
    return `  ${met ? '✓' : '✗'} ${t.scenario} ${t.text}: ${s === undefined ? 'not run' : t.show(s)}`;
  });
  return { text: lines.join('\n'), allMet };
}

/** The JSON object of the issue: scenario → policy → the six fields. */
export function toJson(results: Results): Record<string, Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  for (const [scenario, byPolicy] of Object.entries(results)) {
    out[scenario] = {};
    for (const [policy, s] of Object.entries(byPolicy)) {
      out[scenario][policy] = Object.fromEntries(FIELDS.map((f) => [f, s[f]]));
    }
  }
  return out;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
