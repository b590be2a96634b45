import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckResult, Verdict } from '../analysis/types.js';
import type { Routes } from '../routers/router.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';
import type { Input, RolloutState, StepResult } from './index.js';
import { initialState, isTerminal, step } from './index.js';

const STABLE = ['http://stable:1'];
const CANARY = ['http://canary:1'];

type RawStep = { kind: 'setWeight'; weight: number } | { kind: 'pause'; duration?: number } | { kind: 'analysis'; checks: number };

const waitStep: fc.Arbitrary<RawStep> = fc.oneof(
  fc.record({ kind: fc.constant('pause' as const), duration: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ kind: fc.constant('pause' as const) }),
  fc.record({ kind: fc.constant('analysis' as const), checks: fc.integer({ min: 1, max: 3 }) }),
);
const weightStep: fc.Arbitrary<RawStep> = fc.record({
  kind: fc.constant('setWeight' as const),
  weight: fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 6 }),
});
/** Mostly realistic stages (a weight, then waits at it), sometimes any step in any order. */
const rawSteps: fc.Arbitrary<RawStep[]> = fc.oneof(
  { arbitrary: fc.array(fc.tuple(weightStep, fc.array(waitStep, { maxLength: 2 })), { maxLength: 4, size: 'max' }).map((stages) => stages.flatMap(([w, waits]) => [w, ...waits])), weight: 3 },
  { arbitrary: fc.array(fc.oneof(weightStep, waitStep), { maxLength: 7, size: 'max' }), weight: 1 },
);

const analysisArb = fc.record({
  interval: fc.integer({ min: 1000, max: 5000 }),
  failureLimit: fc.integer({ min: 0, max: 2 }),
  inconclusiveLimit: fc.integer({ min: 0, max: 2 }),
});

/** Random step lists; setWeight steps never go down (spec/ validates that), analysis on or off. */
function specArb(analysis: 'on' | 'any'): fc.Arbitrary<RolloutSpec> {
  const analysisOption = analysis === 'on' ? analysisArb : fc.option(analysisArb, { nil: undefined });
  return fc
    .record({
      raw: rawSteps,
      analysis: analysisOption,
      onInconclusive: fc.constantFrom('pause' as const, 'rollback' as const),
    })
    .map(({ raw, analysis: a, onInconclusive }) => {
      const weights = raw.flatMap((s) => (s.kind === 'setWeight' ? [s.weight] : [])).sort((x, y) => x - y);
      const steps: CanaryStep[] = raw.map((s) => {
        if (s.kind === 'setWeight') return { setWeight: weights.shift() ?? 0 };
        if (s.kind === 'analysis') return { analysis: { checks: s.checks } };
        return { pause: s.duration === undefined ? {} : { duration: s.duration } };
      });
      return {
        service: { listen: '127.0.0.1:9000', stable: { upstreams: STABLE }, canary: { upstreams: CANARY } },
        steps,
        ...(a === undefined ? {} : { analysis: { ...a, minRequests: 50, metrics: [{ name: 'success-rate' as const, min: 99 }] } }),
        onFailure: 'rollback' as const,
        onInconclusive,
      };
    });
}

/** What the controller and its users do next; `answer` returns the oldest outstanding check, `lose` drops it. */
type Command =
  | { kind: 'tick' | 'lose' | 'abort' | 'pause' | 'resume' | 'retry'; dt: number }
  | { kind: 'answer'; dt: number; verdict: Verdict }
  | { kind: 'promote'; dt: number; full: boolean };

const dt = fc.integer({ min: 0, max: 4000 });
const simple = (kind: 'tick' | 'lose' | 'abort' | 'pause' | 'resume' | 'retry'): fc.Arbitrary<Command> => fc.record({ kind: fc.constant(kind), dt });

type Person = 'promote' | 'skip' | 'abort' | 'pause' | 'resume' | 'retry';

/** Controller commands (ticks, answers, lost checks) mixed with the given people's commands. */
function commandsArb(verdicts: fc.Arbitrary<Verdict>, people: Person[]): fc.Arbitrary<Command[]> {
  const answer: fc.Arbitrary<Command> = fc.record({ kind: fc.constant('answer' as const), dt, verdict: verdicts });
  const promote = (full: fc.Arbitrary<boolean>): fc.Arbitrary<Command> => fc.record({ kind: fc.constant('promote' as const), dt, full });
  const byPerson: Record<Person, fc.Arbitrary<Command>> = {
    promote: promote(fc.boolean()),
    skip: promote(fc.constant(false)),
    abort: simple('abort'),
    pause: simple('pause'),
    resume: simple('resume'),
    retry: simple('retry'),
  };
  const choices = [
    { arbitrary: simple('tick'), weight: 8 },
    { arbitrary: answer, weight: 8 },
    { arbitrary: simple('lose'), weight: 1 },
    ...people.map((p) => ({ arbitrary: byPerson[p], weight: p === 'resume' ? 2 : 1 })),
  ];
  return fc.array(fc.oneof(...choices), { minLength: 5, maxLength: 40, size: 'max' });
}

function resultOf(verdict: Verdict, from: number, to: number): CheckResult {
  const reason = `success-rate judged ${verdict}`;
  return {
    verdict, from, to,
    canary: { requests: verdict === 'inconclusive' ? 3 : 400, errors: 0 },
    stable: { requests: 4000, errors: 0 },
    metrics: [{ name: 'success-rate', verdict, samples: 400, reason }],
    summary: `${verdict}: ${reason}`,
  };
}

/** The parts of a state whose change must be explained by an event (check scheduling alone is not). */
function explained(state: RolloutState): unknown {
  const { message: _message, analysis, ...rest } = state;
  const { pending: _p, windowStart: _w, nextCheckAt: _n, ...counters } = analysis;
  return { ...rest, counters };
}

/** `explained`, less what a check updates about itself (its count, the inconclusive streak, the latest result). */
function bookkeepingAside(state: RolloutState): unknown {
  const { lastCheck: _l, ...rest } = explained(state) as { lastCheck?: unknown; counters: Record<string, unknown> };
  const { checks: _c, inconclusiveInARow: _i, ...counters } = rest.counters;
  return { ...rest, counters };
}

/** Deep equality without the cost of a matcher on every one of thousands of steps. */
function same(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, what).toEqual(expected);
}

/** Feeds the commands through the engine, asserting the invariants after every step. */
function simulate(spec: RolloutSpec, commands: Command[]): StepResult[] {
  let now = 0;
  let current = initialState('shop', 1, spec, now);
  const history = [current];
  let outstanding: Array<{ from: number; to: number }> = [];
  let lastRoutes: Routes | undefined;
  // Bookkeeping for "never promote blind", per start of the revision.
  let weightChangedAt = 0;
  let fed = 0;
  let lastFail = -1;
  let lastFreshPass = -1;

  const absorb = (result: StepResult): void => {
    for (const action of result.actions) {
      if (action.type === 'setRoutes') lastRoutes = action.routes;
      if (action.type === 'runCheck') {
        expect(spec.analysis).toBeDefined();
        expect(result.state.canaryWeight).toBeGreaterThan(0);
        expect(action.from).toBeLessThanOrEqual(action.to);
        outstanding.push({ from: action.from, to: action.to });
      }
      if (action.type === 'event' && action.event.type === 'weight-changed') weightChangedAt = now;
      if (action.type === 'event' && (action.event.type === 'started' || action.event.type === 'retried')) {
        weightChangedAt = now;
        fed = 0;
        lastFail = -1;
        lastFreshPass = -1;
      }
    }
    expect(result.actions.filter((a) => a.type === 'runCheck').length).toBeLessThanOrEqual(1);
    same(lastRoutes, result.state.routes, 'the last setRoutes action agrees with state.routes');
    const { canaryWeight, routes } = result.state;
    expect(canaryWeight).toBeGreaterThanOrEqual(0);
    expect(canaryWeight).toBeLessThanOrEqual(100);
    expect(routes.canaryWeight).toBe(canaryWeight);
  };
  absorb(current);

  for (const command of commands) {
    now += command.dt;
    let input: Input;
    if (command.kind === 'answer' && outstanding.length > 0) {
      const window = outstanding.shift()!;
      input = { type: 'check', result: resultOf(command.verdict, window.from, window.to) };
    } else if (command.kind === 'lose' || command.kind === 'answer' || command.kind === 'tick') {
      if (command.kind === 'lose') outstanding.shift();
      input = { type: 'tick' };
    } else if (command.kind === 'promote') {
      input = { type: 'promote', full: command.full, actor: 'prop' };
    } else if (command.kind === 'abort') {
      input = { type: 'abort', actor: 'prop', reason: 'testing' };
    } else {
      input = { type: command.kind, actor: 'prop' };
    }

    const prev = current.state;
    const snapshot = structuredClone(prev);
    const result = step(prev, input, now);
    same(prev, snapshot, 'step must not modify its input');
    const next = result.state;

    if (result.rejected) {
      expect(result.actions).toEqual([]);
      same(next, snapshot, 'a rejected input leaves the state as it was');
    }
    if (isTerminal(prev.phase)) {
      if (input.type === 'retry' && prev.phase !== 'promoted') expect(result.rejected).toBeUndefined();
      else expect(result.rejected?.code).toBe('SLUICE_INVALID_TRANSITION');
    }
    if (input.type === 'retry' && !result.rejected) outstanding = [];
    if (input.type === 'check' && !result.rejected) {
      const fresh = input.result.from >= weightChangedAt;
      if (input.result.verdict === 'fail') lastFail = fed;
      else if (input.result.verdict === 'pass' && fresh) lastFreshPass = fed;
      fed += 1;
    }

    absorb(result);

    if (!isTerminal(prev.phase) && !isTerminal(next.phase)) {
      expect(next.canaryWeight, 'weights never decrease within one start').toBeGreaterThanOrEqual(prev.canaryWeight);
    }
    if (next.phase === 'rolled-back' || next.phase === 'aborted') {
      expect(next.canaryWeight).toBe(0);
      same(next.routes, { listen: '127.0.0.1:9000', stable: STABLE, canary: CANARY, canaryWeight: 0 }, 'all to stable');
    }
    if (next.phase === 'promoted' && prev.phase !== 'promoted') {
      same(next.routes, { listen: '127.0.0.1:9000', stable: CANARY, canary: [], canaryWeight: 0 }, 'canary is the new stable');
      const forced = input.type === 'promote' && (input.full || prev.stepIndex >= spec.steps.length);
      if (!forced && spec.analysis !== undefined && prev.canaryWeight > 0) {
        expect(lastFreshPass, 'a passing check at the final weight').toBeGreaterThanOrEqual(0);
        // Inconclusive checks after it are no evidence either way; a failed one is.
        expect(lastFreshPass, 'and no failed check after it').toBeGreaterThan(lastFail);
      }
    }
    // A repeated inconclusive check while paused for that very reason emits no event (a person is already
    // asked to decide); it may only update the check's own bookkeeping: the count, the streak, the latest check.
    const repeat = prev.phase === 'paused' && prev.pauseReason === 'inconclusive' && input.type === 'check' && input.result.verdict === 'inconclusive' && prev.lastCheck?.verdict === 'inconclusive';
    if (repeat) {
      expect(result.actions.some((a) => a.type === 'event'), 'a repeated inconclusive check while paused emits no event').toBe(false);
      same(bookkeepingAside(next), bookkeepingAside(prev), 'a repeated inconclusive check changes only the check bookkeeping');
    } else if (!isDeepStrictEqual(explained(prev), explained(next))) {
      expect(result.actions.some((a) => a.type === 'event'), `${input.type} changed the state without an event`).toBe(true);
    }
    current = result;
    history.push(result);
  }
  return history;
}

describe('engine properties', () => {
  it('keeps its invariants under random specs, clocks, verdicts and user commands', () => {
    const verdicts = fc.constantFrom<Verdict>('pass', 'pass', 'fail', 'inconclusive');
    fc.assert(
      fc.property(specArb('any'), commandsArb(verdicts, ['promote', 'abort', 'pause', 'resume', 'retry']), (spec, commands) => {
        simulate(spec, commands);
      }),
      { numRuns: 150 },
    );
  });

  it('never promotes blind: users only skip steps while checks are in flight', () => {
    const verdicts = fc.constantFrom<Verdict>('pass', 'pass', 'pass', 'fail', 'inconclusive');
    fc.assert(
      fc.property(specArb('on'), commandsArb(verdicts, ['skip', 'resume', 'retry']), (spec, commands) => {
        simulate(spec, commands);
      }),
      { numRuns: 100 },
    );
  });

  it('never promotes on inconclusive checks alone', () => {
    fc.assert(
      fc.property(specArb('on'), commandsArb(fc.constant<Verdict>('inconclusive'), ['resume', 'pause', 'retry']), (spec, commands) => {
        const history = simulate(spec, commands);
        for (let i = 1; i < history.length; i += 1) {
          const [prev, next] = [history[i - 1].state, history[i].state];
          if (next.phase === 'promoted' && prev.phase !== 'promoted') expect(prev.canaryWeight).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('does reach promotion and rollback in the random runs (the generators are not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(specArb('on'), commandsArb(fc.constantFrom<Verdict>('pass', 'fail'), ['resume']), (spec, commands) => {
        const history = simulate(spec, commands);
        const last = history.at(-1)!.state;
        if (last.canaryWeight > 0 || last.phase !== 'progressing') seen.add(last.phase);
      }),
      { numRuns: 60, seed: 42 },
    );
    expect(seen).toContain('promoted');
    expect(seen).toContain('rolled-back');
  });
});
