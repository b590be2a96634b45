import { factor } from './advice.js';
import { count, duration, percent } from './format.js';
import type { CaseSummary, PlanReport, Quantiles, StagePlan } from './types.js';

/** The plan as people read it: a table per section, then the warnings with what to change. */
export function renderPlan(report: PlanReport): string {
  const { inputs } = report;
  const regressedRate = inputs.errorRate * inputs.regression;
  const out: string[] = [
    `Plan for rollout "${report.rollout}" at ${count(inputs.rps)} rps and ${percent(inputs.errorRate)} errors: ` +
      `detect a ${factor(inputs.regression)} regression (${percent(regressedRate)} errors) with ${percent(inputs.power)} power`,
    `Analysis: ${report.analysis}`,
    '',
    `Steps (each judged on its own evidence, at ${count(inputs.rps)} rps)`,
    indent(table(stageRows(report), [false, true, false, true, true, false, true, false])),
    '',
    `Simulated rollouts (${count(report.simulation.runs)} per case, seed ${report.simulation.seed}, ${report.simulation.seconds.toFixed(1)} s)`,
    indent(table(simulationRows(report), [false, ...report.simulation.policies.map(() => true)])),
    ...report.simulation.policies.map((p) => `  ${p.label}: ${p.description}`),
    '',
  ];
  if (report.warnings.length === 0) out.push('No warnings: every step is long enough to detect the regression at this traffic.');
  else out.push('Warnings', ...report.warnings.map((w) => `  - ${w.message}`));
  return out.join('\n');
}

function stageRows(report: PlanReport): string[][] {
  const power = percent(report.inputs.power);
  const header = ['step', 'weight', 'lasts', 'canary requests', 'canary errors (ok / bad)', `detection needs (${power})`, 'in-step chance', 'flags'];
  return [header, ...report.stages.map(stageRow)];
}

function stageRow(s: StagePlan): string[] {
  const steps = s.steps.length === 0 ? '-' : s.steps.length === 1 ? `${s.steps[0]}` : `${s.steps[0]}–${s.steps[s.steps.length - 1]}`;
  const detection = s.needed === undefined
    ? s.weight === 0 || (s.thresholds === undefined && s.judge === undefined) || s.flags.includes('not-modelled') ? '-' : 'never'
    : `~${duration(s.needed.seconds)} (${s.needed.by === 'judge' ? 'judge' : 'checks'})`;
  const inStep = [s.thresholds?.powerInStep, s.judge?.powerInStep].filter((p): p is number => p !== undefined);
  return [
    steps,
    `${s.weight}%`,
    lasts(s),
    count(s.canaryRequests),
    `${count(s.canaryErrors.healthy)} / ${count(s.canaryErrors.regressed)}`,
    detection,
    inStep.length === 0 || s.flags.includes('not-modelled') ? '-' : percent(Math.max(...inStep)),
    s.flags.map((f) => f.replace(/-/g, ' ')).join(', '),
  ];
}

function lasts(s: StagePlan): string {
  if (s.gate && s.minSeconds === 0) return 'waits for a person';
  const base = s.checks > 0 && s.pauseSeconds === 0 ? `≥${duration(s.minSeconds)} (${s.checks} checks)` : duration(s.minSeconds);
  const longer = s.seconds > s.minSeconds + 0.5 ? ` → ~${duration(s.seconds)} for events` : '';
  return `${base}${longer}${s.gate ? ' + gate' : ''}`;
}

function simulationRows(report: PlanReport): string[][] {
  const { policies } = report.simulation;
  const { inputs } = report;
  const row = (label: string, pick: (c: CaseSummary) => string, which: 'healthy' | 'regressed'): string[] => [
    `  ${label}`,
    ...policies.map((p) => pick(p[which])),
  ];
  const q = (x: Quantiles | undefined, show: (n: number) => string): string => (x === undefined ? '-' : `${show(x.median)} / ${show(x.p95)}`);
  return [
    ['', ...policies.map((p) => p.label)],
    [`${factor(inputs.regression)} regression (${percent(inputs.errorRate * inputs.regression)} errors)`, ...policies.map(() => '')],
    row('rolled back', (c) => percent(c.rollbackRate), 'regressed'),
    row('promoted', (c) => percent(c.promoteRate), 'regressed'),
    row('held for a person', (c) => percent(c.holdRate), 'regressed'),
    row('decision after p50 / p95', (c) => q(c.decisionSeconds, duration), 'regressed'),
    row('users before rollback p50 / p95', (c) => q(c.beforeRollback?.canaryRequests, count), 'regressed'),
    row('bad requests before rollback p50 / p95', (c) => q(c.beforeRollback?.badRequests, count), 'regressed'),
    [`healthy canary (${percent(inputs.errorRate)} errors)`, ...policies.map(() => '')],
    row('wrongly rolled back', (c) => percent(c.rollbackRate), 'healthy'),
    row('promoted', (c) => percent(c.promoteRate), 'healthy'),
    row('held for a person', (c) => percent(c.holdRate), 'healthy'),
    row('decision after p50 / p95', (c) => q(c.decisionSeconds, duration), 'healthy'),
  ];
}

/** Columns padded to their widest cell; `right[i]` right-aligns column i. */
export function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
