import { h, type Child } from './dom.js';
import { TRAFFIC_SIDES, type Sides } from './flag-rollout.js';
import { clock, ms, num, pct, zone } from './format.js';
import type { CheckResult, JudgeDecision, MetricVerdict, StoredEvent, VersionWindow } from './types.js';

/**
 * Why a decision was taken, from the numbers its event carries: a threshold
 * check's metrics against their bounds, or the sequential judge's statistic
 * against its threshold with the counts it rests on. `sides` names the two
 * sides (a flag rollout's are users on the variant and everyone else).
 */
export function explainEvent(e: StoredEvent, sides: Sides = TRAFFIC_SIDES): Child[] {
  const data = e.data ?? {};
  const parts: Child[] = [];
  if (e.type === 'check' && isCheck(data)) parts.push(explainCheck(data, sides));
  if (isCheck(data.check)) parts.push(explainCheck(data.check, sides));
  if (data.judge && typeof data.judge === 'object') parts.push(explainJudge(data.judge as { errors?: JudgeDecision; latency?: JudgeDecision }, typeof data.rule === 'string' ? data.rule : undefined, sides));
  const shown = new Set(['judge', 'rule', 'check', 'verdict', 'from', 'to', 'canary', 'stable', 'mirror', 'metrics', 'summary']);
  const rest = Object.entries(data).filter(([k, v]) => !shown.has(k) && v !== undefined);
  if (rest.length) parts.push(h('dl', { class: 'facts' }, rest.map(([k, v]) => fact(k, v, sides))));
  return parts;
}

/** A fact as the event stores it, but a flag rollout's weight is a share of its users. */
function fact(key: string, value: unknown, sides: Sides): HTMLElement[] {
  if (key === 'canaryWeight' && sides !== TRAFFIC_SIDES && typeof value === 'number') return [h('dt', null, 'share of users'), h('dd', null, `${num(value, 3)}%`)];
  return [h('dt', null, key), h('dd', null, typeof value === 'object' ? JSON.stringify(value) : String(value))];
}

function isCheck(v: unknown): v is CheckResult {
  return !!v && typeof v === 'object' && Array.isArray((v as CheckResult).metrics) && typeof (v as CheckResult).verdict === 'string';
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function verdict(v: string): HTMLElement {
  return h('span', { class: `verdict ${v}` }, v);
}

function windowLine(label: string, w: VersionWindow | undefined): string {
  if (!w) return `${label}: –`;
  return `${label}: ${w.requests} requests, ${w.errors} errors, success ${pct(w.successRate)}, p99 ${ms(w.p99)}`;
}

function bound(m: MetricVerdict): string {
  const b: string[] = [];
  if (m.min !== undefined) b.push(`≥ ${num(m.min, 2)}`);
  if (m.max !== undefined) b.push(`≤ ${num(m.max, 2)}`);
  if (m.minRatio !== undefined) b.push(`ratio ≥ ${num(m.minRatio, 2)}`);
  if (m.maxRatio !== undefined) b.push(`ratio ≤ ${num(m.maxRatio, 2)}`);
  return b.join(', ') || '–';
}

/** A threshold check: each metric's canary value against its bound (and stable's, for relative checks). */
export function explainCheck(c: CheckResult, sides: Sides = TRAFFIC_SIDES): HTMLElement {
  return h(
    'div',
    { class: 'explain check' },
    h('p', null, 'Check ', verdict(c.verdict), ` over ${clock(c.from)}–${clock(c.to)} ${zone(c.to)}`),
    h(
      'table',
      { class: 'data' },
      h('thead', null, h('tr', null, ['Metric', 'Verdict', capital(sides.canary), capital(sides.stable), 'Bound', 'Samples', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        c.metrics.map((m) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, m.name, m.dryRun ? ' (dry run)' : ''),
            h('td', null, verdict(m.verdict)),
            h('td', { class: 'n' }, num(m.value, 2)),
            h('td', { class: 'n' }, num(m.stableValue, 2)),
            h('td', null, bound(m)),
            h('td', { class: 'n' }, m.samples),
            h('td', null, m.error ? `${m.reason} (${m.error})` : m.reason),
          ),
        ),
      ),
    ),
    h('ul', { class: 'windows' }, h('li', null, windowLine(sides.canary, c.canary)), h('li', null, windowLine(sides.stable, c.stable)), c.mirror && c.mirror.requests > 0 ? h('li', null, windowLine('mirrored', c.mirror)) : null),
  );
}

function explainTest(label: string, d: JudgeDecision, slow: boolean, sides: Sides): HTMLElement {
  const what = slow ? 'slow' : 'errors';
  return h(
    'div',
    { class: 'judge-test' },
    h('p', null, h('strong', null, label), ' ', verdict(d.verdict), ` — ${d.reason}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'statistic (log Bayes factor)'),
      h('dd', null, `${num(d.statistic, 3)} against threshold ${num(d.threshold, 3)}`),
      h('dt', null, 'fail side'),
      h('dd', null, `${num(d.fail.logBF, 3)} / ${num(d.fail.threshold, 3)}`),
      h('dt', null, 'pass side'),
      h('dd', null, `${num(d.pass.logBF, 3)} / ${num(d.pass.threshold, 3)}`),
      h('dt', null, sides.canary),
      h('dd', null, `${d.counts.canaryErrors} ${what} of ${d.counts.canaryRequests} requests`),
      h('dt', null, sides.stable),
      h('dd', null, `${d.counts.stableErrors} ${what} of ${d.counts.stableRequests} requests`),
      d.ratioEstimate !== undefined ? [h('dt', null, sides === TRAFFIC_SIDES ? 'canary/stable rate' : `${sides.canary} / ${sides.stable} rate`), h('dd', null, num(d.ratioEstimate, 2))] : null,
      d.thresholdMs !== undefined ? [h('dt', null, 'slow means over'), h('dd', null, ms(d.thresholdMs))] : null,
    ),
  );
}

/** The sequential judge: each test's statistic against its threshold and the counts behind it. */
export function explainJudge(j: { errors?: JudgeDecision; latency?: JudgeDecision }, rule?: string, sides: Sides = TRAFFIC_SIDES): HTMLElement {
  return h(
    'div',
    { class: 'explain judge' },
    rule ? h('p', null, 'Rule: ', h('code', null, rule)) : null,
    j.errors ? explainTest('Errors test', j.errors, false, sides) : null,
    j.latency ? explainTest('Latency test', j.latency, true, sides) : null,
  );
}
