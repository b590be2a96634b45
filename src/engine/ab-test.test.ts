import { describe, expect, it } from 'vitest';
import type { CheckResult, Verdict } from '../analysis/types.js';
import { parseRolloutDocuments } from '../spec/parse-rollout.js';
import type { RolloutSpec } from '../spec/types.js';
import type { Action, RolloutState } from './index.js';
import { initialState, step } from './index.js';

/** The A/B strategy as the engine sees it: weight 0, match rules on the routes, N checks, then promotion. */

function specOf(strategy: string, analysis = '  analysis:\n    interval: 10s\n    minRequests: 5\n    metrics: [{name: success-rate, min: 99}]\n'): RolloutSpec {
  const { rollouts, errors } = parseRolloutDocuments(
    `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: shop}
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
${strategy}${analysis}`,
    'ab.yaml',
  );
  expect(errors).toEqual([]);
  return rollouts[0].spec;
}

const AB = '  strategy:\n    abTest:\n      match: [{headers: {x-beta: {exact: "1"}}}]\n      iterations: 3\n';

function check(verdict: Verdict, from: number, to: number): CheckResult {
  const w = { requests: 50, errors: verdict === 'fail' ? 10 : 0 };
  return { verdict, from, to, canary: w, stable: w, metrics: [], summary: `${verdict}: test` };
}

const runChecks = (actions: Action[]) => actions.filter((a): a is Extract<Action, { type: 'runCheck' }> => a.type === 'runCheck');

/** Ticks every interval and answers each check with `verdicts` in turn; returns the state after the last. */
function drive(state: RolloutState, verdicts: Verdict[], interval = 10_000): { state: RolloutState; checks: number } {
  let now = 0;
  let checks = 0;
  for (const verdict of verdicts) {
    now += interval;
    const ticked = step(state, { type: 'tick' }, now);
    const [run] = runChecks(ticked.actions);
    expect(run, `a check is due at ${now}`).toBeDefined();
    checks++;
    state = step(ticked.state, { type: 'check', result: check(verdict, run.from, run.to) }, now).state;
    if (state.phase !== 'progressing') break;
  }
  return { state, checks };
}

describe('the A/B strategy in the engine', () => {
  it('starts with the match rules on the routes at weight 0 and checks the matched traffic', () => {
    const spec = specOf(AB);
    const { state, actions } = initialState('shop', 1, spec, 0);
    expect(state.routes).toMatchObject({ canaryWeight: 0, match: [{ headers: { 'x-beta': { exact: '1' } } }] });
    expect(actions.filter((a) => a.type === 'setRoutes')).toHaveLength(1);
    expect(state.phase).toBe('progressing');
    expect(state.message).toBe('step 1/1: waiting for 3 passing checks at 0% canary + matched requests');
    const early = step(state, { type: 'tick' }, 5_000);
    expect(runChecks(early.actions)).toEqual([]);
  });

  it('promotes after `iterations` passing checks', () => {
    const { state, checks } = drive(initialState('shop', 1, specOf(AB), 0).state, ['pass', 'pass', 'pass']);
    expect(checks).toBe(3);
    expect(state.phase).toBe('promoted');
    expect(state.routes).toEqual({ listen: '127.0.0.1:8080', stable: ['http://127.0.0.1:9002'], canary: [], canaryWeight: 0 });
  });

  it('an inconclusive check (too few matched requests) keeps the passes earned: pass, inconclusive, pass, pass promotes', () => {
    const { state, checks } = drive(initialState('shop', 1, specOf(AB), 0).state, ['pass', 'inconclusive', 'pass', 'pass']);
    expect(checks).toBe(4);
    expect(state.phase).toBe('promoted');
  });

  it('a tolerated failed check starts the count again: pass, fail, then three more passes', () => {
    const spec = specOf(AB, '  analysis:\n    interval: 10s\n    failureLimit: 1\n    metrics: [{name: success-rate, min: 99}]\n');
    const { state, checks } = drive(initialState('shop', 1, spec, 0).state, ['pass', 'fail', 'pass', 'pass', 'pass']);
    expect(checks).toBe(5);
    expect(state.phase).toBe('promoted');
    const early = drive(initialState('shop', 1, spec, 0).state, ['pass', 'fail', 'pass', 'pass']);
    expect(early.state.phase).toBe('progressing');
  });

  it('rolls back on a failed check, and the rollback routes carry no match rule', () => {
    const spec = specOf(AB, '  analysis:\n    interval: 10s\n    failureLimit: 0\n    metrics: [{name: success-rate, min: 99}]\n');
    const { state } = drive(initialState('shop', 1, spec, 0).state, ['pass', 'fail']);
    expect(state.phase).toBe('rolled-back');
    expect(state.routes.canaryWeight).toBe(0);
    expect(state.routes).not.toHaveProperty('match');
  });

  it('checks from the start of a canary rollout with match rules, before the first weight', () => {
    const spec = specOf('  strategy:\n    canary:\n      match: [{cookies: {beta: {exact: "1"}}}]\n      steps: [{analysis: {checks: 1}}, {setWeight: 20}, {pause: {duration: 10s}}]\n');
    const { state } = initialState('shop', 1, spec, 0);
    const ticked = step(state, { type: 'tick' }, 10_000);
    expect(runChecks(ticked.actions)).toHaveLength(1);
    const after = step(ticked.state, { type: 'check', result: check('pass', 0, 10_000) }, 10_000).state;
    expect(after.canaryWeight).toBe(20);
    expect(after.routes.match).toEqual([{ cookies: { beta: { exact: '1' } } }]);
  });

  it('without match rules or mirror, runs no check at weight 0 (as before)', () => {
    const spec = specOf('  strategy:\n    canary:\n      steps: [{pause: {duration: 1m}}, {setWeight: 20}]\n');
    const ticked = step(initialState('shop', 1, spec, 0).state, { type: 'tick' }, 10_000);
    expect(runChecks(ticked.actions)).toEqual([]);
  });
});
