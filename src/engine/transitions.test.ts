import { describe, expect, it } from 'vitest';
import type { CheckResult, Verdict } from '../analysis/types.js';
import type { Routes } from '../routers/router.js';
import type { AnalysisSpec, CanaryStep, RolloutSpec } from '../spec/types.js';
import type { AnalysisCounters, EventType, Input, PauseReason, Phase, StepResult } from './index.js';
import { initialState, step } from './index.js';

const STABLE = ['http://stable:1'];
const CANARY = ['http://canary:1', 'http://canary:2'];
const ANALYSIS: AnalysisSpec = {
  interval: 10_000,
  failureLimit: 1,
  inconclusiveLimit: 1,
  minRequests: 50,
  metrics: [{ name: 'success-rate', min: 99 }],
};

function spec(steps: CanaryStep[], analysis?: Partial<AnalysisSpec>, onInconclusive: 'pause' | 'rollback' = 'pause'): RolloutSpec {
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: STABLE }, canary: { upstreams: CANARY } },
    steps,
    ...(analysis === undefined ? {} : { analysis: { ...ANALYSIS, ...analysis } }),
    onFailure: 'rollback',
    onInconclusive,
  };
}

const REASONS: Record<Verdict, string> = {
  pass: 'success-rate 99.9% meets the minimum 99% (412 requests)',
  fail: 'success-rate 91.2% is below the minimum 99% (412 requests)',
  inconclusive: 'only 12 canary requests in the window; need 50',
};

function check(verdict: Verdict, from: number, to: number): Input {
  const requests = verdict === 'inconclusive' ? 12 : 412;
  const value = { pass: 99.9, fail: 91.2, inconclusive: undefined }[verdict];
  const result: CheckResult = {
    verdict,
    from,
    to,
    canary: { requests, errors: 0 },
    stable: { requests: 4000, errors: 0 },
    metrics: [{ name: 'success-rate', verdict, ...(value === undefined ? {} : { value }), min: 99, samples: requests, reason: REASONS[verdict] }],
    summary: `${verdict}: ${REASONS[verdict]}`,
  };
  return { type: 'check', result };
}

const tick: Input = { type: 'tick' };
const promote = (full: boolean): Input => ({ type: 'promote', full, actor: 'alice' });
const abort: Input = { type: 'abort', actor: 'alice', reason: 'bad deploy' };
const pause: Input = { type: 'pause', actor: 'alice' };
const resume: Input = { type: 'resume', actor: 'alice' };
const retry: Input = { type: 'retry', actor: 'alice' };

/** Start at t=0, feed each [now, input] in order; returns the last result. */
function run(s: RolloutSpec, inputs: Array<[number, Input]>): StepResult {
  let result = initialState('checkout', 3, s, 0);
  for (const [now, input] of inputs) {
    result = step(result.state, input, now);
    expect(result.rejected, `${input.type} at ${now}`).toBeUndefined();
  }
  return result;
}

interface Expected {
  phase?: Phase;
  pauseReason?: PauseReason;
  stepIndex?: number;
  weight?: number;
  events?: EventType[];
  setRoutes?: number[];
  runCheck?: [number, number] | null;
  message?: string | RegExp;
  counters?: Partial<AnalysisCounters>;
  routes?: Partial<Routes>;
  also?: (result: StepResult) => void;
}

function verify(result: StepResult, want: Expected): void {
  const { state, actions } = result;
  if (want.phase !== undefined) expect(state.phase).toBe(want.phase);
  if (want.pauseReason !== undefined) expect(state.pauseReason).toBe(want.pauseReason);
  if (want.stepIndex !== undefined) expect(state.stepIndex).toBe(want.stepIndex);
  if (want.weight !== undefined) {
    expect(state.canaryWeight).toBe(want.weight);
    expect(state.routes.canaryWeight).toBe(want.weight);
  }
  const events = actions.flatMap((a) => (a.type === 'event' ? [a.event.type] : []));
  if (want.events !== undefined) expect(events).toEqual(want.events);
  const routes = actions.flatMap((a) => (a.type === 'setRoutes' ? [a.routes] : []));
  if (want.setRoutes !== undefined) expect(routes.map((r) => r.canaryWeight)).toEqual(want.setRoutes);
  if (routes.length > 0) expect(routes.at(-1)).toEqual(state.routes);
  const checks = actions.flatMap((a) => (a.type === 'runCheck' ? [[a.from, a.to]] : []));
  if (want.runCheck !== undefined) expect(checks).toEqual(want.runCheck === null ? [] : [want.runCheck]);
  if (typeof want.message === 'string') expect(state.message).toBe(want.message);
  if (want.message instanceof RegExp) expect(state.message).toMatch(want.message);
  if (want.counters !== undefined) expect(state.analysis).toMatchObject(want.counters);
  if (want.routes !== undefined) expect(state.routes).toMatchObject(want.routes);
  want.also?.(result);
}

const TIMED = spec([{ setWeight: 10 }, { pause: { duration: 30_000 } }]);
const GATE = spec([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 1000 } }]);
const WATCHED = spec([{ setWeight: 10 }, { pause: { duration: 5000 } }, { setWeight: 50 }], {});
const STRICT = spec([{ setWeight: 10 }, { pause: { duration: 60_000 } }], {});
const FAILED: Array<[number, Input]> = [
  [10_000, tick],
  [10_001, check('fail', 0, 10_000)],
  [20_001, tick],
  [20_002, check('fail', 10_000, 20_001)],
];
const INCONCLUSIVE: Array<[number, Input]> = [
  [10_000, tick],
  [10_001, check('inconclusive', 0, 10_000)],
  [20_001, tick],
  [20_002, check('inconclusive', 10_000, 20_001)],
];

const cases: Array<{ name: string; spec: RolloutSpec; inputs: Array<[number, Input]>; want: Expected }> = [
  {
    name: 'start walks through setWeight and waits in a timed pause',
    spec: TIMED,
    inputs: [],
    want: {
      phase: 'progressing', stepIndex: 1, weight: 10,
      events: ['started', 'weight-changed', 'step-advanced'], setRoutes: [0, 10], runCheck: null,
      message: 'step 2/2: waiting 30s at 10% canary',
      counters: { passesThisStep: 0, checks: 0, pending: false },
    },
  },
  {
    name: 'start stops at a manual gate',
    spec: GATE,
    inputs: [],
    want: { phase: 'paused', pauseReason: 'gate', stepIndex: 1, weight: 10, events: ['started', 'weight-changed', 'paused'], message: /promote to continue/ },
  },
  {
    name: 'an analysis step at 0% canary has nothing to measure and completes at once',
    spec: spec([{ analysis: { checks: 2 } }, { setWeight: 10 }, { pause: {} }], {}),
    inputs: [],
    want: { phase: 'paused', stepIndex: 2, weight: 10, events: ['started', 'step-advanced', 'weight-changed', 'paused'] },
  },
  {
    name: 'no steps at all promotes at once',
    spec: spec([]),
    inputs: [],
    want: { phase: 'promoted', events: ['started', 'promoted'], setRoutes: [0, 0], routes: { stable: CANARY, canary: [] } },
  },
  {
    name: 'a tick before the pause ends changes nothing',
    spec: TIMED,
    inputs: [[29_999, tick]],
    want: { stepIndex: 1, events: [], setRoutes: [], message: 'step 2/2: waiting 30s at 10% canary' },
  },
  {
    name: 'without analysis, the end of the last pause promotes: the canary becomes stable',
    spec: TIMED,
    inputs: [[30_000, tick]],
    want: {
      phase: 'promoted', events: ['promoted'], setRoutes: [0],
      routes: { listen: '127.0.0.1:8080', stable: CANARY, canary: [], canaryWeight: 0 },
      message: /^promoted after 30s: http:\/\/canary:1, http:\/\/canary:2 is now stable/,
      also: (r) => expect(r.state.finishedAt).toBe(30_000),
    },
  },
  {
    name: 'with analysis, a timed pause that has run out still waits for a passing check',
    spec: WATCHED,
    inputs: [[5000, tick]],
    want: { stepIndex: 1, events: [], runCheck: null, message: 'step 2/3: waited 5s at 10% canary; moving on after the next passing check' },
  },
  {
    name: 'a due check covers the window since the weight changed',
    spec: WATCHED,
    inputs: [[10_000, tick]],
    want: { runCheck: [0, 10_000], events: [], counters: { pending: true, windowStart: 10_000, nextCheckAt: 20_000 } },
  },
  {
    name: 'no second check starts while one is pending',
    spec: WATCHED,
    inputs: [[10_000, tick], [25_000, tick]],
    want: { runCheck: null, counters: { pending: true } },
  },
  {
    name: 'a check still pending an interval past due is presumed lost and started again',
    spec: WATCHED,
    inputs: [[10_000, tick], [30_000, tick]],
    want: { runCheck: [10_000, 30_000], counters: { pending: true, nextCheckAt: 40_000 } },
  },
  {
    name: 'a passing check finishes the pause; the new weight is measured afresh',
    spec: WATCHED,
    inputs: [[10_000, tick], [10_500, check('pass', 0, 10_000)]],
    want: {
      stepIndex: 3, weight: 50, events: ['check', 'weight-changed', 'step-advanced'], setRoutes: [50], runCheck: null,
      counters: { pending: false, checks: 1, passesThisStep: 0, windowStart: 10_500, nextCheckAt: 20_500 },
      message: 'all 3 steps done at 50% canary: promoting after the next passing check',
    },
  },
  {
    name: 'after the last step, a passing check at the final weight promotes',
    spec: WATCHED,
    inputs: [[10_000, tick], [10_500, check('pass', 0, 10_000)], [20_500, tick], [21_000, check('pass', 10_500, 20_500)]],
    want: {
      phase: 'promoted', events: ['check', 'promoted'], routes: { stable: CANARY, canary: [], canaryWeight: 0 },
      also: (r) => expect(r.actions.at(-1)).toMatchObject({ event: { type: 'promoted', data: { fromWeight: 50, check: { verdict: 'pass', from: 10_500 } } } }),
    },
  },
  {
    name: 'a pass measured partly before the current step began does not count',
    spec: spec([{ setWeight: 10 }, { pause: {} }, { analysis: { checks: 1 } }], {}),
    inputs: [[10_000, tick], [12_000, promote(false)], [13_000, check('pass', 0, 10_000)]],
    want: { phase: 'progressing', stepIndex: 2, events: ['check'], counters: { passesThisStep: 0, checks: 1 }, message: /waiting for 1 passing check at 10% canary/ },
  },
  {
    name: 'an inconclusive check neither counts nor erases the passes an analysis step has earned',
    spec: spec([{ setWeight: 20 }, { analysis: { checks: 2 } }, { setWeight: 40 }, { pause: {} }], {}),
    inputs: [[10_000, tick], [10_001, check('pass', 0, 10_000)], [20_001, tick], [20_002, check('inconclusive', 10_000, 20_001)]],
    want: {
      stepIndex: 1, counters: { passesThisStep: 1, inconclusiveInARow: 1 },
      message: 'step 2/4: 1 of 2 checks passed at 20% canary; check inconclusive (1 in a row, 1 tolerated): only 12 canary requests in the window; need 50',
    },
  },
  {
    // A load hook starts the traffic: the window before it (or after it ends) is empty.
    name: 'pass, an empty-window inconclusive check, pass: the analysis step advances',
    spec: spec([{ setWeight: 20 }, { analysis: { checks: 2 } }, { setWeight: 40 }, { pause: {} }], {}),
    inputs: [
      [10_000, tick], [10_001, check('pass', 0, 10_000)],
      [20_001, tick], [20_002, { type: 'check', result: { verdict: 'inconclusive', from: 10_001, to: 20_001, canary: { requests: 0, errors: 0 }, stable: { requests: 0, errors: 0 }, metrics: [{ name: 'success-rate', verdict: 'inconclusive', min: 99, samples: 0, reason: 'no canary requests in the window' }], summary: 'inconclusive: no canary requests in the window' } }],
      [30_002, tick], [30_003, check('pass', 20_002, 30_002)],
    ],
    want: { phase: 'paused', pauseReason: 'gate', stepIndex: 3, weight: 40, events: ['check', 'weight-changed', 'paused'], counters: { inconclusiveInARow: 0 } },
  },
  {
    name: 'a tolerated failed check erases the passes an analysis step has earned',
    spec: spec([{ setWeight: 20 }, { analysis: { checks: 2 } }, { setWeight: 40 }, { pause: {} }], {}),
    inputs: [[10_000, tick], [10_001, check('pass', 0, 10_000)], [20_001, tick], [20_002, check('fail', 10_000, 20_001)], [30_002, tick], [30_003, check('pass', 20_002, 30_002)]],
    want: { phase: 'progressing', stepIndex: 1, weight: 20, counters: { passesThisStep: 1, failures: 1 }, message: 'step 2/4: 1 of 2 checks passed at 20% canary' },
  },
  {
    name: 'a timed pause moves on after its duration on a pass earned before an inconclusive check',
    spec: STRICT,
    inputs: [[10_000, tick], [10_001, check('pass', 0, 10_000)], [20_001, tick], [20_002, check('inconclusive', 10_000, 20_001)], [60_000, tick]],
    want: { phase: 'promoted', events: ['promoted'] },
  },
  {
    name: 'an analysis step completes after N passes in a row',
    spec: spec([{ setWeight: 20 }, { analysis: { checks: 2 } }, { setWeight: 40 }, { pause: {} }], {}),
    inputs: [[10_000, tick], [10_001, check('pass', 0, 10_000)], [20_001, tick], [20_002, check('pass', 10_000, 20_001)]],
    want: { phase: 'paused', pauseReason: 'gate', stepIndex: 3, weight: 40, events: ['check', 'weight-changed', 'paused'] },
  },
  {
    name: 'a failed check within the failure limit is tolerated and explained',
    spec: STRICT,
    inputs: FAILED.slice(0, 2),
    want: {
      phase: 'progressing', weight: 10, events: ['check'], counters: { failures: 1, passesThisStep: 0 },
      message: 'step 2/2: waiting 1m at 10% canary; check failed (1 of 1 failures tolerated): success-rate 91.2% is below the minimum 99% (412 requests)',
    },
  },
  {
    name: 'a failed check past the failure limit rolls back, quoting the metric',
    spec: STRICT,
    inputs: FAILED,
    want: {
      phase: 'rolled-back', weight: 0, events: ['check', 'rolled-back'], setRoutes: [0], runCheck: null,
      routes: { stable: STABLE, canary: CANARY, canaryWeight: 0 },
      message: 'rolled back: success-rate 91.2% is below the minimum 99% (412 requests)',
      also: (r) => {
        const event = r.actions.find((a) => a.type === 'event' && a.event.type === 'rolled-back');
        expect(event).toMatchObject({ event: { data: { check: { verdict: 'fail', from: 10_000, to: 20_001 } } } });
        expect(r.state.finishedAt).toBe(20_002);
      },
    },
  },
  {
    name: 'too many inconclusive checks pause and say what to do (onInconclusive: pause)',
    spec: STRICT,
    inputs: INCONCLUSIVE,
    want: {
      phase: 'paused', pauseReason: 'inconclusive', weight: 10, events: ['check', 'paused'],
      message: 'step 2/2: paused at 10% canary after 2 inconclusive checks in a row (only 12 canary requests in the window; need 50); promote to continue, abort to roll back',
      also: (r) => expect(r.actions.at(-1)).toMatchObject({ event: { type: 'paused', data: { reason: 'inconclusive', check: { verdict: 'inconclusive' } } } }),
    },
  },
  {
    name: 'too many inconclusive checks roll back (onInconclusive: rollback)',
    spec: { ...STRICT, onInconclusive: 'rollback' },
    inputs: INCONCLUSIVE,
    want: { phase: 'rolled-back', weight: 0, events: ['check', 'rolled-back'], message: /^rolled back: 2 inconclusive checks in a row \(1 tolerated\): only 12/ },
  },
  {
    name: 'checks keep running at a gate, and a failing canary is rolled back from there',
    spec: spec([{ setWeight: 10 }, { pause: {} }], { failureLimit: 0 }),
    inputs: [[10_000, tick], [10_001, check('fail', 0, 10_000)]],
    want: { phase: 'rolled-back', weight: 0, events: ['check', 'rolled-back'], setRoutes: [0] },
  },
  {
    name: 'abort while progressing puts all traffic on stable',
    spec: TIMED,
    inputs: [[1000, abort]],
    want: {
      phase: 'aborted', weight: 0, events: ['aborted'], setRoutes: [0], routes: { stable: STABLE, canary: CANARY },
      message: 'aborted by alice: bad deploy; all traffic is back on stable',
      also: (r) => expect(r.actions).toContainEqual(expect.objectContaining({ event: expect.objectContaining({ actor: 'alice' }) })),
    },
  },
  {
    name: 'abort while paused puts all traffic on stable',
    spec: GATE,
    inputs: [[1000, abort]],
    want: { phase: 'aborted', weight: 0, events: ['aborted'], setRoutes: [0] },
  },
  {
    name: 'a user pause holds the step',
    spec: TIMED,
    inputs: [[1000, pause]],
    want: { phase: 'paused', pauseReason: 'user', stepIndex: 1, events: ['paused'], message: 'step 2/2: paused by alice at 10% canary; resume to continue, abort to roll back' },
  },
  {
    name: 'resume after a user pause continues in the same step',
    spec: TIMED,
    inputs: [[1000, pause], [2000, resume]],
    want: { phase: 'progressing', stepIndex: 1, weight: 10, events: ['resumed'], message: 'step 2/2: waiting 30s at 10% canary' },
  },
  {
    name: 'promote passes a manual gate',
    spec: GATE,
    inputs: [[5000, promote(false)]],
    want: { phase: 'progressing', stepIndex: 3, weight: 50, events: ['resumed', 'weight-changed', 'step-advanced'], setRoutes: [50] },
  },
  {
    name: 'resuming an inconclusive pause forgives the streak and stays in the step',
    spec: STRICT,
    inputs: [...INCONCLUSIVE, [21_000, resume]],
    want: { phase: 'progressing', stepIndex: 1, events: ['resumed'], counters: { inconclusiveInARow: 0 } },
  },
  {
    name: 'promote (full) promotes at once',
    spec: GATE,
    inputs: [[1000, promote(true)]],
    want: { phase: 'promoted', events: ['promoted'], routes: { stable: CANARY, canary: [], canaryWeight: 0 }, message: /^promoted by alice/ },
  },
  {
    name: 'promote (not full) skips the current step',
    spec: spec([{ setWeight: 10 }, { pause: { duration: 60_000 } }, { setWeight: 30 }, { pause: { duration: 60_000 } }]),
    inputs: [[1000, promote(false)]],
    want: { phase: 'progressing', stepIndex: 3, weight: 30, events: ['step-advanced', 'weight-changed', 'step-advanced'] },
  },
  {
    name: 'promote (not full) at a gate leaves the pause and moves on',
    spec: GATE,
    inputs: [[1000, promote(false)]],
    want: { phase: 'progressing', stepIndex: 3, weight: 50, events: ['resumed', 'weight-changed', 'step-advanced'] },
  },
  {
    name: 'promote (not full) after the last step promotes without waiting for a check',
    spec: spec([{ setWeight: 10 }], {}),
    inputs: [[1000, promote(false)]],
    want: { phase: 'promoted', events: ['promoted'] },
  },
  {
    name: 'retry after a rollback starts the revision afresh',
    spec: STRICT,
    inputs: [...FAILED, [50_000, retry]],
    want: {
      phase: 'progressing', stepIndex: 1, weight: 10, events: ['retried', 'weight-changed', 'step-advanced'], setRoutes: [0, 10],
      counters: { failures: 0, checks: 0, pending: false, windowStart: 50_000, nextCheckAt: 60_000 },
      also: (r) => {
        expect(r.state.startedAt).toBe(50_000);
        expect(r.state.finishedAt).toBeUndefined();
        expect(r.state.revision).toBe(3);
      },
    },
  },
];

describe('engine transitions', () => {
  it.each(cases)('$name', ({ spec: s, inputs, want }) => {
    verify(run(s, inputs), want);
  });
});

const rejections: Array<{ name: string; spec: RolloutSpec; inputs: Array<[number, Input]>; input: Input; code: string; message?: string }> = [
  { name: 'tick once promoted', spec: TIMED, inputs: [[30_000, tick]], input: tick, code: 'SLUICE_INVALID_TRANSITION', message: 'cannot tick a rollout that is promoted' },
  { name: 'retry once promoted', spec: TIMED, inputs: [[30_000, tick]], input: retry, code: 'SLUICE_INVALID_TRANSITION' },
  { name: 'resume while progressing', spec: TIMED, inputs: [], input: resume, code: 'SLUICE_INVALID_TRANSITION', message: 'cannot resume a rollout that is progressing' },
  { name: 'pause while paused', spec: GATE, inputs: [], input: pause, code: 'SLUICE_INVALID_TRANSITION' },
  {
    name: 'resume at a manual gate (an approval: only promote passes it)',
    spec: GATE,
    inputs: [],
    input: resume,
    code: 'SLUICE_INVALID_TRANSITION',
    message: 'it waits at a manual gate at step 2/4: a gate is an approval, which only a promote gives (resume continues a rollout paused by a person or by inconclusive checks)',
  },
  { name: 'retry while progressing', spec: TIMED, inputs: [], input: retry, code: 'SLUICE_INVALID_TRANSITION' },
  { name: 'abort once aborted', spec: TIMED, inputs: [[1000, abort]], input: abort, code: 'SLUICE_INVALID_TRANSITION' },
  { name: 'a check once rolled back', spec: STRICT, inputs: FAILED, input: check('pass', 20_001, 30_000), code: 'SLUICE_INVALID_TRANSITION' },
  { name: 'a check without analysis', spec: TIMED, inputs: [], input: check('pass', 0, 10_000), code: 'SLUICE_UNEXPECTED_CHECK' },
  { name: 'a check from before a retry', spec: STRICT, inputs: [...FAILED, [50_000, retry]], input: check('fail', 20_001, 30_000), code: 'SLUICE_STALE_CHECK' },
];

describe('engine rejections', () => {
  it.each(rejections)('refuses $name and leaves the state as it was', ({ spec: s, inputs, input, code, message }) => {
    const before = run(s, inputs).state;
    const copy = structuredClone(before);
    const result = step(before, input, 60_000);
    expect(result.rejected?.code).toBe(code);
    if (message !== undefined) expect(result.rejected?.message).toBe(message);
    expect(result.actions).toEqual([]);
    expect(result.state).toEqual(copy);
  });
});
