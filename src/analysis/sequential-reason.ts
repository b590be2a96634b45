import type { ResolvedCountOptions, SequentialDecision } from './sequential-types.js';
import { countOf, TRAFFIC_WORDING, type Wording } from './wording.js';

/** The sentence that explains a sequential decision to a person reading an event or the CLI. */
export function describeDecision(
  d: Omit<SequentialDecision, 'reason'>,
  options: ResolvedCountOptions,
  subject: string,
  w: Wording = TRAFFIC_WORDING,
): string {
  const c = d.counts;
  const rates =
    `${w.canaryRate} ${subject} ${percent(c.canaryErrors, c.canaryRequests)} (${c.canaryErrors}/${c.canaryRequests}) ` +
    `vs ${w.stableRate} ${percent(c.stableErrors, c.stableRequests)} (${c.stableErrors}/${c.stableRequests})` +
    (d.ratioEstimate === undefined ? '' : `, ${d.ratioEstimate.toFixed(2)}×`);
  const worse = `${odds(d.fail.logBF)} that ${w.canaryOf} ${subject} is worse (${odds(d.fail.threshold)} rolls back, alpha ${pct(options.alpha)})`;
  const within = `${odds(d.pass.logBF)} that it is less than ${(1 + options.minEffect).toFixed(2)}× ${w.stableOf} ` +
    `(${odds(d.pass.threshold)} passes)`;
  if (d.verdict === 'fail') {
    return `${rates}: evidence ${odds(d.statistic)} that ${w.canaryOf} ${subject} is worse than ${w.stableOf}, ` +
      `past the ${odds(d.threshold)} that rolls back (alpha ${pct(options.alpha)})`;
  }
  if (d.verdict === 'pass') {
    return `${rates}: evidence ${odds(d.statistic)} against a regression of ${(1 + options.minEffect).toFixed(2)}× or more, ` +
      `past the ${odds(d.threshold)} that passes (passAlpha ${pct(options.passAlpha)})`;
  }
  if (c.canaryErrors + c.stableErrors === 0) {
    return `no ${subject} events on either side yet (${c.canaryRequests} ${w.canaryShort}, ${countOf(c.stableRequests, w.stableRequest)}): ` +
      'no evidence either way, keep waiting';
  }
  return `${rates}: not decided yet — ${worse}; ${within}`;
}

/** A Bayes factor as "123 : 1" (or "1 : 45" below one). */
function odds(logBF: number): string {
  if (logBF === -Infinity) return '0 : 1';
  const bf = Math.exp(logBF);
  if (bf >= 1) return `${bf >= 1e6 ? bf.toExponential(1) : bf >= 10 ? bf.toFixed(0) : bf.toFixed(1)} : 1`;
  const inv = 1 / bf;
  return `1 : ${inv >= 1e6 ? inv.toExponential(1) : inv >= 10 ? inv.toFixed(0) : inv.toFixed(1)}`;
}

function percent(events: number, requests: number): string {
  return requests === 0 ? 'n/a' : pct(events / requests);
}

function pct(x: number): string {
  const p = x * 100;
  return `${p >= 10 ? p.toFixed(1) : p >= 1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}
