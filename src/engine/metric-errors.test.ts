import { describe, expect, it } from 'vitest';
import type { CheckResult, MetricVerdict } from '../analysis/types.js';
import type { AnalysisSpec, RolloutSpec } from '../spec/types.js';
import { initialState, step, type RolloutState } from './index.js';

/** consecutiveErrorLimit in the pure engine: provider errors in a row per metric, stepped with an injected clock. */

const INTERVAL = 10_000;

function spec(analysis: Partial<AnalysisSpec>): RolloutSpec {
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://s:1'] }, canary: { upstreams: ['http://c:1'] } },
    steps: [{ setWeight: 20 }, { pause: { duration: 600_000 } }],
    analysis: {
      interval: INTERVAL,
      failureLimit: 0,
      inconclusiveLimit: 100,
      minRequests: 10,
      metrics: [
        { name: 'orders-ok', provider: { type: 'http', url: 'http://x/', jsonPath: 'ok', timeout: 5000 }, min: 0.99 },
        { name: 'p99', provider: { type: 'prometheus', address: 'http://p', query: 'q', timeout: 5000 }, max: 1, dryRun: true },
      ],
      ...analysis,
    },
    onFailure: 'rollback',
    onInconclusive: 'pause',
  };
}

type Outcome = 'ok' | 'err' | 'nodata';

function verdictOf(name: string, provider: string, o: Outcome, dryRun = false): MetricVerdict {
  const base = { name, provider, samples: 0, ...(dryRun ? { dryRun } : {}) };
  if (o === 'ok') return { ...base, verdict: 'pass', value: 1, reason: `${name} 1 meets the minimum (${provider})` };
  if (o === 'nodata') return { ...base, verdict: 'inconclusive', reason: `no ${name} value for the canary in the window (empty vector)` };
  return { ...base, verdict: 'inconclusive', error: 'GET http://x/ failed: connect ECONNREFUSED', reason: `${name} query to ${provider} failed for the canary: connect ECONNREFUSED` };
}

function result(from: number, to: number, orders: Outcome, p99: Outcome = 'err'): CheckResult {
  const metrics = [verdictOf('orders-ok', 'http', orders), verdictOf('p99', 'prometheus', p99, true)];
  const verdict = orders === 'ok' ? 'pass' : 'inconclusive';
  return { verdict, from, to, canary: { requests: 100, errors: 0 }, stable: { requests: 400, errors: 0 }, metrics, summary: `${verdict}: …` };
}

/** Runs a rollout, answering each check due with the next outcome; returns the state after the last one. */
function runChecks(s: RolloutSpec, outcomes: Outcome[]): { state: RolloutState; events: string[] } {
  let r = initialState('web', 1, s, 0);
  const events: string[] = [];
  let now = 0;
  for (const outcome of outcomes) {
    now += INTERVAL;
    r = step(r.state, { type: 'tick' }, now);
    const run = r.actions.find((a) => a.type === 'runCheck');
    if (!run || run.type !== 'runCheck') throw new Error(`no check due at ${now}`);
    r = step(r.state, { type: 'check', result: result(run.from, run.to, outcome) }, now);
    expect(r.rejected).toBeUndefined();
    events.push(...r.actions.flatMap((a) => (a.type === 'event' ? [a.event.type] : [])));
    if (r.state.phase === 'rolled-back') break;
  }
  return { state: r.state, events };
}

describe('consecutiveErrorLimit', () => {
  const cases: Array<{ name: string; limit?: number; outcomes: Outcome[]; phase: string; run?: number; checks: number }> = [
    { name: 'the default 4 tolerates four errors in a row', outcomes: ['err', 'err', 'err', 'err'], phase: 'progressing', run: 4, checks: 4 },
    { name: 'the default 4: a fifth error in a row rolls back', outcomes: ['err', 'err', 'err', 'err', 'err', 'ok'], phase: 'rolled-back', checks: 5 },
    { name: 'a measurement in between ends the run', limit: 2, outcomes: ['err', 'err', 'ok', 'err', 'err', 'ok'], phase: 'progressing', checks: 6 },
    { name: 'no data is not an error and ends the run', limit: 1, outcomes: ['err', 'nodata', 'err', 'nodata'], phase: 'progressing', checks: 4 },
    { name: 'limit 0: the first error rolls back', limit: 0, outcomes: ['err', 'ok'], phase: 'rolled-back', checks: 1 },
    { name: 'limit 2: three in a row roll back', limit: 2, outcomes: ['ok', 'err', 'err', 'err'], phase: 'rolled-back', checks: 4 },
  ];
  it.each(cases)('$name', ({ limit, outcomes, phase, run, checks }) => {
    const { state, events } = runChecks(spec(limit === undefined ? {} : { consecutiveErrorLimit: limit }), outcomes);
    expect(state.phase).toBe(phase);
    expect(state.analysis.checks).toBe(checks);
    expect(events.filter((e) => e === 'check')).toHaveLength(checks);
    if (phase === 'rolled-back') {
      const n = (limit ?? 4) + 1;
      expect(state.message).toBe(
        `rolled back: orders-ok failed to measure on its http provider ${n} times in a row (${limit ?? 4} tolerated): GET http://x/ failed: connect ECONNREFUSED`,
      );
      expect(events.at(-1)).toBe('rolled-back');
      expect(state.routes.canaryWeight).toBe(0);
    } else {
      expect(state.analysis.consecutiveErrors?.['orders-ok']).toBe(run);
    }
    // The dry-run metric errs every time and never counts.
    expect(state.analysis.consecutiveErrors?.p99).toBeUndefined();
  });

  it('is a no-op for checks without provider errors: the counters stay absent', () => {
    const { state } = runChecks(spec({}), ['ok', 'nodata', 'ok']);
    expect(state.analysis).not.toHaveProperty('consecutiveErrors');
  });
});
