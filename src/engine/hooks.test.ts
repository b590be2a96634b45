import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../analysis/types.js';
import type { HookSpec, HookType } from '../spec/lifecycle-types.js';
import type { AnalysisSpec, CanaryStep, RolloutSpec } from '../spec/types.js';
import type { EventType, Input, StepResult } from './index.js';
import { initialState, STALE_HOOK, step } from './index.js';

/** Hooks and gates in the pure state machine, driven with an injected clock. */

const ANALYSIS: AnalysisSpec = { interval: 10_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 10, metrics: [{ name: 'success-rate', min: 99 }] };

function hook(name: string, type: HookType): HookSpec {
  return { name, type, url: `http://hooks.test/${name}`, timeout: 5000, retries: 0 };
}

function spec(steps: CanaryStep[], hooks: HookSpec[], analysis?: AnalysisSpec): RolloutSpec {
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://s:1'] }, canary: { upstreams: ['http://c:1'] } },
    steps,
    ...(analysis ? { analysis } : {}),
    onFailure: 'rollback',
    onInconclusive: 'pause',
    hooks,
  };
}

const TWO_STEPS: CanaryStep[] = [{ setWeight: 10 }, { pause: { duration: 30_000 } }, { setWeight: 50 }, { pause: { duration: 30_000 } }];

/** Drives one rollout: every input must be accepted unless said otherwise. */
class Driver {
  result: StepResult;
  constructor(s: RolloutSpec) {
    this.result = initialState('web', 1, s, 0);
  }
  get state() {
    return this.result.state;
  }
  input(now: number, input: Input): StepResult {
    this.result = step(this.state, input, now);
    expect(this.result.rejected, `${input.type} at ${now}`).toBeUndefined();
    return this.result;
  }
  tick(now: number): StepResult {
    return this.input(now, { type: 'tick' });
  }
  /** Answers the running run of `name`. */
  answer(now: number, name: string, ok: boolean, status = ok ? 200 : 503): StepResult {
    const run = this.state.hooks!.runs.find((r) => r.hook === name && r.running);
    expect(run, `a running ${name} run`).toBeDefined();
    return this.input(now, { type: 'hook', result: { id: run!.id, ok, status, message: `answered ${status}`, attempts: 1, durationMs: 5 } });
  }
  /** Hooks asked to run by the latest input. */
  asked(): string[] {
    return this.result.actions.flatMap((a) => (a.type === 'runHook' ? [`${a.run.phase}:${a.run.hook}`] : []));
  }
  events(): EventType[] {
    return this.result.actions.flatMap((a) => (a.type === 'event' ? [a.event.type] : []));
  }
  weights(): number[] {
    return this.result.actions.flatMap((a) => (a.type === 'setRoutes' ? [a.routes.canaryWeight] : []));
  }
}

function pass(from: number, to: number): Input {
  const result: CheckResult = {
    verdict: 'pass', from, to,
    canary: { requests: 100, errors: 0 }, stable: { requests: 900, errors: 0 },
    metrics: [{ name: 'success-rate', verdict: 'pass', value: 100, min: 99, samples: 100, reason: 'success-rate 100% meets 99%' }],
    summary: 'pass',
  };
  return { type: 'check', result };
}

describe('hooks: pre-rollout and confirm-rollout', () => {
  it('a failing pre-rollout hook stops the rollout before the canary gets any traffic', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('migrate', 'pre-rollout'), hook('report', 'post-rollout')]));
    expect(d.asked()).toEqual(['pre-rollout:migrate']);
    expect(d.weights()).toEqual([0]);
    expect(d.state.message).toMatch(/waiting for the pre-rollout hook migrate before the canary gets any traffic/);
    d.answer(2000, 'migrate', false, 500);
    expect(d.state.phase).toBe('rolled-back');
    expect(d.state.canaryWeight).toBe(0);
    expect(d.events()).toEqual(['hook', 'rolled-back']);
    expect(d.state.message).toMatch(/pre-rollout hook migrate failed \(answered 500\)/);
    expect(d.asked()).toEqual(['post-rollout:report']);
  });

  it('a passing pre-rollout hook lets the steps begin', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('migrate', 'pre-rollout')]));
    d.answer(2000, 'migrate', true);
    expect(d.events()).toEqual(['hook', 'weight-changed', 'step-advanced']);
    expect(d.state).toMatchObject({ phase: 'progressing', stepIndex: 1, canaryWeight: 10 });
    expect(d.state.hooks!.runs).toEqual([]);
  });

  it('confirm-rollout holds the start, is asked again every interval, then lets pre-rollout run', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('ticket', 'confirm-rollout'), hook('migrate', 'pre-rollout')], ANALYSIS));
    expect(d.asked()).toEqual(['confirm-rollout:ticket']);
    d.answer(1000, 'ticket', false, 403);
    expect(d.events()).toEqual(['hook']);
    expect(d.state.message).toMatch(/waiting for the confirm-rollout hook ticket .* \(last answer: answered 403\)/);
    expect(d.tick(10_999).actions).toEqual([]);
    d.tick(11_000);
    expect(d.asked()).toEqual(['confirm-rollout:ticket']);
    d.answer(11_500, 'ticket', false, 403);
    expect(d.events(), 'the same answer again is not another event').toEqual([]);
    d.tick(21_500);
    d.answer(21_600, 'ticket', true);
    expect(d.asked()).toEqual(['pre-rollout:migrate']);
    expect(d.state.canaryWeight).toBe(0);
    d.answer(22_000, 'migrate', true);
    expect(d.state.canaryWeight).toBe(10);
  });
});

describe('hooks: gates during the steps', () => {
  it('confirm-traffic-increase holds every increase until it answers 2xx', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('capacity', 'confirm-traffic-increase')]));
    expect(d.state.canaryWeight).toBe(0);
    expect(d.asked()).toEqual(['confirm-traffic-increase:capacity']);
    d.answer(100, 'capacity', true);
    expect(d.state).toMatchObject({ canaryWeight: 10, stepIndex: 1 });
    d.tick(30_100);
    expect(d.state).toMatchObject({ canaryWeight: 10, stepIndex: 2 });
    expect(d.asked()).toEqual(['confirm-traffic-increase:capacity']);
    d.answer(30_200, 'capacity', false, 429);
    expect(d.state.canaryWeight).toBe(10);
    d.tick(40_200);
    d.answer(40_300, 'capacity', true);
    expect(d.state).toMatchObject({ canaryWeight: 50, stepIndex: 3 });
  });

  it('confirm-promotion holds the end of the steps, analysis still running', () => {
    const d = new Driver(spec([{ setWeight: 20 }, { pause: { duration: 10_000 } }], [hook('release-manager', 'confirm-promotion')], ANALYSIS));
    d.tick(10_000);
    d.input(10_001, pass(0, 10_000));
    expect(d.asked()).toEqual(['confirm-promotion:release-manager']);
    expect(d.state.phase).toBe('progressing');
    d.answer(10_100, 'release-manager', false, 423);
    d.tick(20_100);
    expect(d.result.actions.some((a) => a.type === 'runCheck'), 'checks go on while held').toBe(true);
    expect(d.asked()).toEqual(['confirm-promotion:release-manager']);
    d.answer(20_200, 'release-manager', true);
    expect(d.state.phase).toBe('promoted');
  });

  it('an inconclusive check while a gate holds the walk keeps saying which hook holds it', () => {
    const d = new Driver(spec([{ setWeight: 20 }, { pause: { duration: 10_000 } }], [hook('release-manager', 'confirm-promotion')], ANALYSIS));
    d.tick(10_000);
    d.input(10_001, pass(0, 10_000));
    d.answer(10_100, 'release-manager', false, 503);
    d.tick(20_100);
    const inconclusive: CheckResult = {
      verdict: 'inconclusive', from: 10_001, to: 20_100,
      canary: { requests: 2, errors: 0 }, stable: { requests: 20, errors: 0 },
      metrics: [{ name: 'success-rate', verdict: 'inconclusive', min: 99, samples: 2, reason: 'only 2 canary requests in the window; need 10' }],
      summary: 'inconclusive: only 2 canary requests in the window; need 10',
    };
    d.input(20_101, { type: 'check', result: inconclusive });
    expect(d.state.hooks!.holding).toMatchObject({ phase: 'confirm-promotion', since: 10_001 });
    expect(d.state.message).toBe(
      'waiting for the confirm-promotion hook release-manager before promotion, at 20% canary (last answer: answered 503); check inconclusive (1 in a row, 3 tolerated): only 2 canary requests in the window; need 10',
    );
  });

  it('a full promotion passes a held confirm-promotion gate and says so', () => {
    const d = new Driver(spec([{ setWeight: 20 }, { pause: { duration: 10_000 } }], [hook('release-manager', 'confirm-promotion')], ANALYSIS));
    d.tick(10_000);
    d.input(10_001, pass(0, 10_000));
    d.answer(10_100, 'release-manager', false, 503);
    d.input(10_200, { type: 'promote', full: true, actor: 'alice' });
    expect(d.events()).toEqual(['hook', 'promoted']);
    expect(d.result.actions[0]).toMatchObject({
      type: 'event',
      event: { actor: 'alice', message: 'alice promoted past the confirm-promotion hooks at step 2/2 without waiting for them', data: { phase: 'confirm-promotion', override: true } },
    });
  });

  it('a full promotion before the end says it did not ask the confirm-promotion hooks; once they passed it says nothing', () => {
    const gated = spec(TWO_STEPS, [hook('release-manager', 'confirm-promotion')]);
    const early = new Driver(gated);
    early.input(500, { type: 'promote', full: true, actor: 'alice' });
    expect(early.events()).toEqual(['hook', 'promoted']);
    expect(early.result.actions[0]).toMatchObject({
      type: 'event',
      event: { actor: 'alice', message: 'alice promoted without asking the confirm-promotion hooks (release-manager)', data: { phase: 'confirm-promotion', override: true } },
    });
    const late = new Driver(spec([{ setWeight: 20 }, { pause: { duration: 10_000 } }], [hook('release-manager', 'confirm-promotion'), hook('report', 'post-rollout')], ANALYSIS));
    late.tick(10_000);
    late.input(10_001, pass(0, 10_000));
    late.answer(10_100, 'release-manager', true);
    expect(late.state.phase).toBe('promoted');
    const plain = new Driver(spec(TWO_STEPS, []));
    plain.input(500, { type: 'promote', full: true, actor: 'alice' });
    expect(plain.events()).toEqual(['promoted']);
  });

  it('a user promote passes a held gate and says so', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('capacity', 'confirm-traffic-increase')]));
    d.input(500, { type: 'promote', full: false, actor: 'alice' });
    expect(d.events()).toEqual(['hook', 'weight-changed', 'step-advanced']);
    expect(d.result.actions[0]).toMatchObject({ type: 'event', event: { actor: 'alice', data: { override: true } } });
    expect(d.state.canaryWeight).toBe(10);
    // The in-flight answer of the passed gate is now stale.
    const r = step(d.state, { type: 'hook', result: { id: `0.1`, ok: true, message: 'late', attempts: 1, durationMs: 1 } }, 600);
    expect(r.rejected?.code).toBe(STALE_HOOK);
  });
});

describe('hooks: rollout hooks (smoke and load tests)', () => {
  it('run at every new weight; the step cannot end until they pass', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('smoke', 'rollout'), hook('load', 'load')]));
    expect(d.asked()).toEqual(['rollout:smoke', 'rollout:load']);
    d.tick(30_000);
    expect(d.state.stepIndex, 'the pause is over but the hooks are running').toBe(1);
    d.answer(31_000, 'smoke', true);
    expect(d.state.stepIndex).toBe(1);
    d.answer(32_000, 'load', true);
    expect(d.state).toMatchObject({ stepIndex: 3, canaryWeight: 50 });
    expect(d.asked()).toEqual(['rollout:smoke', 'rollout:load']);
  });

  it('a failure counts as a failed check: tolerated up to failureLimit and asked again, then rolled back', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('smoke', 'rollout')], { ...ANALYSIS, metrics: [] }));
    d.answer(1000, 'smoke', false, 500);
    expect(d.state.analysis.failures).toBe(1);
    expect(d.state.phase).toBe('progressing');
    expect(d.state.message).toMatch(/the rollout hook smoke failed: answered 500; counted as a failed check/);
    d.tick(11_000);
    expect(d.asked()).toEqual(['rollout:smoke']);
    d.answer(11_100, 'smoke', false, 500);
    expect(d.state.phase).toBe('rolled-back');
    expect(d.state.canaryWeight).toBe(0);
    expect(d.state.message).toMatch(/rolled back: the rollout hook smoke failed at 10% canary/);
  });

  it('a pending rollout hook also holds a directly following weight increase', () => {
    const d = new Driver(spec([{ setWeight: 10 }, { setWeight: 20 }, { pause: { duration: 1000 } }], [hook('smoke', 'rollout')]));
    expect(d.state).toMatchObject({ canaryWeight: 10, stepIndex: 1 });
    d.answer(500, 'smoke', true);
    expect(d.state).toMatchObject({ canaryWeight: 20, stepIndex: 2 });
  });
});

describe('hooks: rollback and post-rollout', () => {
  it('a rollback hook is polled while the rollout runs and a 2xx rolls back', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('kill-switch', 'rollback')], ANALYSIS));
    expect(d.asked()).toEqual(['rollback:kill-switch']);
    d.answer(100, 'kill-switch', false, 404);
    expect(d.state.phase).toBe('progressing');
    d.tick(10_100);
    expect(d.asked()).toEqual(['rollback:kill-switch']);
    d.answer(10_200, 'kill-switch', true, 200);
    expect(d.state).toMatchObject({ phase: 'rolled-back', canaryWeight: 0 });
    expect(d.state.message).toMatch(/the rollback hook kill-switch asked for it/);
  });

  it('post-rollout hooks run after promotion and their results are recorded in the finished rollout', () => {
    const d = new Driver(spec([{ setWeight: 50 }, { pause: { duration: 1000 } }], [hook('announce', 'post-rollout')]));
    d.tick(1000);
    expect(d.state.phase).toBe('promoted');
    expect(d.asked()).toEqual(['post-rollout:announce']);
    d.answer(1100, 'announce', false, 502);
    expect(d.events()).toEqual(['hook']);
    expect(d.state.phase).toBe('promoted');
    expect(d.state.hooks!.runs).toEqual([]);
  });

  it('a retry starts the hooks afresh; results of the earlier start are stale', () => {
    const d = new Driver(spec(TWO_STEPS, [hook('migrate', 'pre-rollout')]));
    const old = d.state.hooks!.runs[0]!.id;
    d.answer(100, 'migrate', false);
    d.input(5000, { type: 'retry', actor: 'bob' });
    expect(d.asked()).toEqual(['pre-rollout:migrate']);
    expect(d.state.hooks!.runs[0]!.id).not.toBe(old);
    const r = step(d.state, { type: 'hook', result: { id: old, ok: true, message: 'late', attempts: 1, durationMs: 1 } }, 5100);
    expect(r.rejected?.code).toBe(STALE_HOOK);
  });
});
