import { describe, expect, it } from 'vitest';
import type { CheckResult, Verdict } from '../analysis/types.js';
import type { AnalysisSpec, CanaryStep, RolloutSpec } from '../spec/types.js';
import type { Input, StepResult } from './index.js';
import { INVALID_TRANSITION, initialState, step, UNDO_DISABLED, UNDO_EXPIRED } from './index.js';

/** Post-promotion analysis, undo and the progress deadline, with an injected clock. */

const STABLE = ['http://stable:1'];
const CANARY = ['http://canary:1'];
const ANALYSIS: AnalysisSpec = { interval: 10_000, failureLimit: 0, inconclusiveLimit: 5, minRequests: 10, metrics: [{ name: 'success-rate', min: 99 }] };

function spec(steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec {
  return { service: { listen: '127.0.0.1:8080', stable: { upstreams: STABLE }, canary: { upstreams: CANARY } }, steps, onFailure: 'rollback', onInconclusive: 'pause', ...extra };
}

function check(verdict: Verdict, from: number, to: number): Input {
  const result: CheckResult = {
    verdict, from, to,
    canary: { requests: 100, errors: verdict === 'fail' ? 20 : 0 }, stable: { requests: 0, errors: 0 },
    metrics: [{ name: 'success-rate', verdict, value: verdict === 'fail' ? 80 : 100, min: 99, samples: 100, reason: `success-rate ${verdict}` }],
    summary: verdict,
  };
  return { type: 'check', result };
}

const tick: Input = { type: 'tick' };

function run(s: RolloutSpec, inputs: Array<[number, Input]>): StepResult {
  let r = initialState('web', 1, s, 0);
  for (const [now, input] of inputs) {
    r = step(r.state, input, now);
    expect(r.rejected, `${input.type} at ${now}`).toBeUndefined();
  }
  return r;
}

const weights = (r: StepResult) => r.actions.flatMap((a) => (a.type === 'setRoutes' ? [a.routes.canaryWeight] : []));

describe('post-promotion analysis', () => {
  const S = spec([{ setWeight: 20 }, { pause: { duration: 10_000 } }], { analysis: ANALYSIS, postPromotion: { duration: 30_000 } });
  const atHundred: Array<[number, Input]> = [[10_000, tick], [10_001, check('pass', 0, 10_000)]];

  it('switches all traffic to the canary instead of promoting, and says for how long it is judged', () => {
    const r = run(S, atHundred);
    expect(r.state).toMatchObject({ phase: 'progressing', canaryWeight: 100, postPromotion: { since: 10_001, until: 40_001 } });
    expect(r.state.routes).toMatchObject({ stable: STABLE, canary: CANARY, canaryWeight: 100 });
    expect(r.state.message).toBe('post-promotion analysis: all traffic on the canary, judged for 30s more before it becomes stable; a failure switches back to stable');
  });

  it('promotes once the window is over and a check in it passed', () => {
    const r = run(S, [...atHundred, [20_001, tick], [20_002, check('pass', 10_001, 20_001)], [40_000, tick]]);
    expect(r.state.phase).toBe('progressing');
    const done = step(r.state, tick, 40_001);
    expect(done.state.phase).toBe('promoted');
    expect(done.state.routes).toEqual({ listen: '127.0.0.1:8080', stable: CANARY, canary: [], canaryWeight: 0 });
  });

  it('never promotes blind: past the window it waits for a passing check', () => {
    const r = run(S, [...atHundred, [40_001, tick]]);
    expect(r.state.phase).toBe('progressing');
    expect(r.state.message).toContain('judged until a check passes');
  });

  it('a failing check in the window switches everything back to the previous stable in one change', () => {
    const r = run(S, [...atHundred, [20_001, tick], [20_002, check('fail', 10_001, 20_001)]]);
    expect(r.state.phase).toBe('rolled-back');
    expect(weights(r)).toEqual([0]);
    expect(r.state.routes).toMatchObject({ stable: STABLE, canaryWeight: 0 });
  });

  it('without analysis the window is time alone', () => {
    const r = run(spec([{ setWeight: 50 }, { pause: { duration: 1000 } }], { postPromotion: { duration: 5000 } }), [[1000, tick], [5999, tick]]);
    expect(r.state.canaryWeight).toBe(100);
    expect(step(r.state, tick, 6000).state.phase).toBe('promoted');
  });

  it('a user promote ends the window at once', () => {
    const r = run(S, [...atHundred, [12_000, { type: 'promote', full: false, actor: 'alice' }]]);
    expect(r.state.phase).toBe('promoted');
  });
});

describe('undo', () => {
  const S = spec([{ setWeight: 50 }, { pause: { duration: 1000 } }], { undoWindow: 3_600_000 });
  const promoted: Array<[number, Input]> = [[1000, tick]];

  it('within the window returns all traffic to the previous stable and names who', () => {
    const r = run(S, [...promoted, [61_000, { type: 'undo', actor: 'alice', reason: 'checkout errors in prod' }]]);
    expect(r.state.phase).toBe('aborted');
    expect(r.state.routes).toEqual({ listen: '127.0.0.1:8080', stable: STABLE, canary: CANARY, canaryWeight: 0 });
    expect(r.state.message).toBe('undone by alice 1m after promotion: checkout errors in prod; all traffic is back on the previous stable (http://stable:1)');
    expect(r.actions).toContainEqual({ type: 'event', event: expect.objectContaining({ type: 'aborted', actor: 'alice', data: expect.objectContaining({ undo: true, promotedAt: 1000 }) }) });
  });

  it('is refused after the window, without an undoWindow, and before promotion', () => {
    const late = step(run(S, promoted).state, { type: 'undo', actor: 'alice' }, 1000 + 3_600_001);
    expect(late.rejected).toMatchObject({ code: UNDO_EXPIRED, message: expect.stringContaining('past its undo window of 1h') });
    const never = step(run({ ...S, undoWindow: undefined }, promoted).state, { type: 'undo', actor: 'alice' }, 2000);
    expect(never.rejected?.code).toBe(UNDO_DISABLED);
    const early = step(run(S, []).state, { type: 'undo', actor: 'alice' }, 500);
    expect(early.rejected?.code).toBe(INVALID_TRANSITION);
  });
});

describe('progress deadline', () => {
  const gate = { name: 'capacity', type: 'confirm-traffic-increase' as const, url: 'http://h/', timeout: 1000, retries: 0 };

  it('rolls back a rollout held at a gate for longer than the deadline, as a failure', () => {
    const s = spec([{ setWeight: 10 }, { pause: { duration: 1000 } }, { setWeight: 50 }], { hooks: [gate], progressDeadline: 60_000 });
    let r = run(s, [[0, { type: 'hook', result: { id: '0.1', ok: true, message: 'ok', attempts: 1, durationMs: 1 } }], [1000, tick]]);
    expect(r.state).toMatchObject({ canaryWeight: 10, stepIndex: 2 });
    r = step(r.state, tick, 61_000);
    expect(r.state.phase).toBe('progressing');
    r = step(r.state, tick, 61_001);
    expect(r.state.phase).toBe('rolled-back');
    expect(r.state.message).toMatch(/^rolled back: no progress at step 3\/3 for 1m \(progressDeadline 1m\): waiting for the confirm-traffic-increase hook capacity/);
    expect(r.actions).toContainEqual({ type: 'event', event: expect.objectContaining({ type: 'rolled-back', data: expect.objectContaining({ cause: 'deadline' }) }) });
  });

  it('does not count a timed pause, a manual gate or a user pause; an inconclusive pause does count', () => {
    const timed = run(spec([{ setWeight: 10 }, { pause: { duration: 600_000 } }], { progressDeadline: 60_000 }), [[599_999, tick]]);
    expect(timed.state.phase).toBe('progressing');
    const manual = run(spec([{ setWeight: 10 }, { pause: {} }], { progressDeadline: 60_000 }), [[10_000_000, tick]]);
    expect(manual.state.phase).toBe('paused');
    const user = run(spec([{ setWeight: 10 }, { pause: { duration: 1000 } }], { progressDeadline: 60_000 }), [[10, { type: 'pause', actor: 'a' }], [10_000_000, tick]]);
    expect(user.state.phase).toBe('paused');
    const quiet = spec([{ setWeight: 10 }, { pause: { duration: 1000 } }], { progressDeadline: 60_000, analysis: { ...ANALYSIS, inconclusiveLimit: 0 } });
    const inconclusive = run(quiet, [[10_000, tick], [10_001, check('inconclusive', 0, 10_000)]]);
    expect(inconclusive.state).toMatchObject({ phase: 'paused', pauseReason: 'inconclusive' });
    expect(step(inconclusive.state, tick, 61_001).state.phase).toBe('rolled-back');
  });

  it('a resume counts as progress', () => {
    const s = spec([{ setWeight: 10 }, { pause: { duration: 1000 } }], { progressDeadline: 60_000, analysis: { ...ANALYSIS, inconclusiveLimit: 0 } });
    const r = run(s, [[10_000, tick], [10_001, check('inconclusive', 0, 10_000)], [50_000, { type: 'resume', actor: 'bob' }], [100_000, tick]]);
    expect(r.state.phase).not.toBe('rolled-back');
  });
});
