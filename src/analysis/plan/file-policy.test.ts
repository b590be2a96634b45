import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../engine/index.js';
import type { Action, RolloutState } from '../../engine/index.js';
import { parseRolloutDocuments } from '../../spec/index.js';
import type { RolloutSpec } from '../../spec/types.js';
import type { CountBatch } from '../sequential-types.js';
import { createRng, seedOf } from '../simulate/prng.js';
import { binomial, poisson } from '../simulate/sampling.js';
import { evaluateThresholds } from '../threshold.js';
import { rolloutFilePolicy } from './file-policy.js';

/** Traffic of second t at a weight: seeded by (seed, t, weight), so both drivers see the same counts at the same weight. */
type Traffic = (t: number, weight: number) => CountBatch;

function traffic(seed: number, rps: number, stableRate: number, canaryRate: number): Traffic {
  return (t, weight) => {
    const rng = createRng(seedOf(seed, t, weight));
    const canaryRequests = poisson(rng, (rps * weight) / 100);
    const stableRequests = poisson(rng, (rps * (100 - weight)) / 100);
    return {
      canaryRequests,
      canaryErrors: binomial(rng, canaryRequests, canaryRate),
      stableRequests,
      stableErrors: binomial(rng, stableRequests, stableRate),
    };
  };
}

/** The file's policy, one second per observation, as the simulator drives it. */
function policyRun(spec: RolloutSpec, counts: Traffic, horizon: number): { outcome: string; seconds: number } {
  const run = rolloutFilePolicy(spec).start();
  for (let t = 0; t < horizon; t++) {
    const decision = run.observe(t + 1, counts(t, Math.round(run.weight(t) * 100)));
    if (decision !== undefined) return { outcome: decision.outcome, seconds: t + 1 };
  }
  return { outcome: 'held', seconds: horizon };
}

/**
 * The real engine, ticked once a second with the same counts: each runCheck action is judged
 * by evaluateThresholds over the seconds of its window (success-rate only, as the plan models
 * errors), the judge gets each second's counts, a manual gate is promoted at once, and an
 * inconclusive pause counts as held.
 */
function engineRun(spec: RolloutSpec, counts: Traffic, horizon: number): { outcome: string; seconds: number } {
  const analysis = spec.analysis && { ...spec.analysis, metrics: spec.analysis.metrics.filter((m) => m.name === 'success-rate') };
  const judged = spec.analysis?.judge !== undefined;
  const log: CountBatch[] = [];
  const checks: Array<Extract<Action, { type: 'runCheck' }>> = [];
  let state!: RolloutState;
  const take = (result: { state: RolloutState; actions: Action[] }): void => {
    state = result.state;
    for (const a of result.actions) if (a.type === 'runCheck') checks.push(a);
  };
  const settle = (now: number): void => {
    for (;;) {
      if (state.phase === 'paused' && state.pauseReason === 'gate') {
        take(step(state, { type: 'promote', full: false, actor: 'plan' }, now));
        continue;
      }
      const check = checks.shift();
      if (check === undefined || analysis === undefined) return;
      const window = sum(log.slice(check.from / 1000, check.to / 1000));
      const result = evaluateThresholds(analysis, versionWindow(window.canaryRequests, window.canaryErrors),
        versionWindow(window.stableRequests, window.stableErrors), check);
      take(step(state, { type: 'check', result }, now));
    }
  };
  take(initialState('parity', 1, spec, 0));
  settle(0);
  for (let t = 0; t < horizon; t++) {
    const outcome = ended(state);
    if (outcome !== undefined) return { outcome, seconds: t };
    const batch = counts(t, state.canaryWeight);
    log.push(batch);
    const now = (t + 1) * 1000;
    // The controller's order: the judge's batch (when the canary has traffic), then the tick.
    if (judged && state.canaryWeight > 0 && batch.canaryRequests + batch.stableRequests > 0) {
      take(step(state, { type: 'judge', batch }, now));
      settle(now);
      if (ended(state) !== undefined) continue;
    }
    take(step(state, { type: 'tick' }, now));
    settle(now);
  }
  return { outcome: ended(state) ?? 'held', seconds: horizon };
}

function ended(state: RolloutState): string | undefined {
  if (state.phase === 'promoted') return 'promoted';
  if (state.phase === 'rolled-back') return 'rolledBack';
  if (state.phase === 'paused') return 'held';
  return undefined;
}

function sum(batches: CountBatch[]): CountBatch {
  return batches.reduce(
    (a, b) => ({
      canaryRequests: a.canaryRequests + b.canaryRequests,
      canaryErrors: a.canaryErrors + b.canaryErrors,
      stableRequests: a.stableRequests + b.stableRequests,
      stableErrors: a.stableErrors + b.stableErrors,
    }),
    { canaryRequests: 0, canaryErrors: 0, stableRequests: 0, stableErrors: 0 },
  );
}

function versionWindow(requests: number, errors: number) {
  return requests === 0 ? { requests, errors } : { requests, errors, successRate: (100 * (requests - errors)) / requests };
}

function example(file: string): RolloutSpec {
  const { rollouts, errors } = parseRolloutDocuments(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'), file);
  expect(errors).toEqual([]);
  return rollouts[0].spec;
}

const CANARY_STEPS = example('canary-steps.yaml');
const SHORTHAND = example('canary-shorthand.yaml');
const GATE = example('manual-gate.yaml');
const STRICT: RolloutSpec = {
  ...CANARY_STEPS,
  analysis: { ...CANARY_STEPS.analysis!, failureLimit: 0, inconclusiveLimit: 1, minRequests: 300 },
  onInconclusive: 'rollback',
};

/** Waits after waits at one weight: a pass only counts for the step whose window it lies in. */
const MIXED: RolloutSpec = {
  ...CANARY_STEPS,
  steps: [{ setWeight: 20 }, { pause: { duration: 25_000 } }, { analysis: { checks: 2 } }, { pause: { duration: 15_000 } }, { setWeight: 40 }, { pause: {} }, { pause: { duration: 30_000 } }],
};

const JUDGE = { alpha: 0.01, minEffect: 1, tolerance: 0, minStepEvents: 10, maxWait: 120_000 };
/** The judge alone, on Argo's steps. */
const JUDGED: RolloutSpec = {
  ...SHORTHAND,
  steps: [10, 20, 40, 60, 80].flatMap((w): RolloutSpec['steps'] => [{ setWeight: w }, { pause: { duration: 60_000 } }]),
  analysis: { interval: 30_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 20, metrics: [], judge: JUDGE },
};
/** Threshold checks and the judge together, with an analysis step and a gate. */
const BOTH: RolloutSpec = { ...MIXED, analysis: { ...CANARY_STEPS.analysis!, judge: JUDGE }, onInconclusive: 'rollback' };

describe('the rollout file policy follows the engine', () => {
  it.each([
    ['canary-steps.yaml, healthy', CANARY_STEPS, 200, 0.005, 0.005],
    ['canary-steps.yaml, 2× regression', CANARY_STEPS, 200, 0.005, 0.01],
    ['canary-steps.yaml, gross regression', CANARY_STEPS, 200, 0.005, 0.05],
    ['canary-steps.yaml, low traffic (inconclusive pause)', CANARY_STEPS, 20, 0.005, 0.005],
    ['shorthand, 2× regression', SHORTHAND, 50, 0.005, 0.01],
    ['manual gate, no analysis', GATE, 200, 0.005, 0.05],
    ['strict limits, onInconclusive rollback', STRICT, 200, 0.005, 0.01],
    ['several waits at one weight, healthy', MIXED, 200, 0.005, 0.005],
    ['several waits at one weight, 2× regression', MIXED, 200, 0.005, 0.01],
    ['judge, healthy', JUDGED, 200, 0.005, 0.005],
    ['judge, 2× regression', JUDGED, 200, 0.005, 0.01],
    ['judge, low traffic (held at maxWait)', JUDGED, 5, 0.005, 0.005],
    ['judge and checks, healthy', BOTH, 200, 0.005, 0.005],
    ['judge and checks, 2× regression', BOTH, 200, 0.005, 0.01],
    ['judge and checks, low traffic (rolled back at maxWait)', BOTH, 20, 0.005, 0.005],
  ] as const)('%s: same outcome at the same second in every seeded run', (_name, spec, rps, stable, canary) => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const counts = traffic(seed, rps, stable, canary);
      const engine = engineRun(spec, counts, 3600);
      expect(policyRun(spec, counts, 3600), `seed ${seed}`).toEqual(engine);
      outcomes.add(engine.outcome);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });

  it('covers rollbacks, promotions and holds among those cases', () => {
    const seen = new Set<string>();
    for (const [spec, rps, canary] of [[CANARY_STEPS, 200, 0.05], [CANARY_STEPS, 200, 0], [CANARY_STEPS, 20, 0]] as const) {
      seen.add(engineRun(spec, traffic(7, rps, 0, canary), 3600).outcome);
    }
    expect([...seen].sort()).toEqual(['held', 'promoted', 'rolledBack']);
  });
});

describe('the rollout file policy with a judge', () => {
  it('rolls a gross regression back within seconds, on the judge', () => {
    const run = rolloutFilePolicy(JUDGED).start();
    let decision;
    for (let t = 0; decision === undefined && t < 600; t++) decision = run.observe(t + 1, traffic(3, 200, 0.005, 0.05)(t, run.weight(t) * 100));
    expect(decision).toMatchObject({ outcome: 'rolledBack', reason: expect.stringMatching(/^judge: canary error rate/) });
  });

  it('holds a step until it saw minStepEvents errors, then holds the rollout maxWait past the pause', () => {
    const run = rolloutFilePolicy(JUDGED).start();
    const quiet: CountBatch = { canaryRequests: 10, canaryErrors: 0, stableRequests: 90, stableErrors: 0 };
    let decision;
    let t = 0;
    for (; decision === undefined && t < 1000; t++) {
      expect(run.weight(t)).toBe(0.1);
      decision = run.observe(t + 1, quiet);
    }
    // The 1m pause is over at 60 s; with no errors the judge waits maxWait (2m) more.
    expect(t).toBe(180);
    expect(decision).toMatchObject({ outcome: 'held', reason: expect.stringMatching(/^not enough evidence at 10% after waiting 180 s \(0 errors seen at this step, 10 needed/) });
  });
});
