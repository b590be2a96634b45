import type { AnalysisSpec, CanaryStep, RolloutSpec } from '../../spec/types.js';
import { decideCountTest, initCountTest, updateCountTest } from '../sequential.js';
import type { CountBatch, CountTestState } from '../sequential-types.js';
import type { Policy, PolicyDecision, PolicyRun } from '../simulate/types.js';
import { evaluateThresholds } from '../threshold.js';
import type { Verdict, VersionWindow } from '../types.js';
import { isModelledMetric } from './metrics.js';

export const FILE_POLICY = 'rollout-file';

/**
 * A rollout file's own policy in the simulator, following the engine's rules
 * (engine/steps.ts, engine/checks.ts, engine/judge.ts) one simulated second at a time,
 * in the controller's order: the judge's batch, then the tick, each followed by any due check.
 *
 * - steps walk as the engine walks them: `setWeight` at once, a timed pause once its time
 *   is up, an `analysis` step after that many passing checks of this step, the end after
 *   one more pass; a manual gate is passed at once (the plan assumes a person promotes it
 *   immediately);
 * - with metrics, a threshold check runs every interval over the window since the last one
 *   (restarted at each weight change), judged by analysis/threshold.ts; more than
 *   failureLimit failed checks roll back, more than inconclusiveLimit inconclusive ones in a
 *   row pause (the run is then held for a person) or roll back, as onInconclusive says; a
 *   step that waits for checks needs a pass of its own. Latency, mirror and provider metrics
 *   (metrics.ts) are judged on volume alone (enough requests passes): the simulator draws the
 *   errors of served traffic, not latencies or mirrored copies;
 * - with a judge, the counting test takes every second's counts: a fail rolls back at once,
 *   a pass lets every later step skip its timed wait; a step without the pass needs
 *   minStepEvents errors of its own before it ends, the steps never end without the pass,
 *   and a step still waiting maxWait past its duration ends as onInconclusive says. A
 *   configured latency test takes half of alpha, as in the engine, and is taken to pass.
 */
export function rolloutFilePolicy(spec: RolloutSpec, name = 'file'): Policy {
  const rules = compile(spec);
  return { type: FILE_POLICY, name, start: () => startRun(rules) };
}

interface Rules {
  steps: readonly CanaryStep[];
  /** The threshold checks as the simulator can judge them (metrics.ts: own success-rate and error-rate); absent without metrics. */
  checks?: AnalysisSpec;
  interval: number;
  judge?: { options: { alpha: number; minEffect: number; tolerance: number }; minStepEvents: number; maxWait: number };
  onInconclusive: RolloutSpec['onInconclusive'];
}

function compile(spec: RolloutSpec): Rules {
  const a = spec.analysis;
  const rules: Rules = { steps: spec.steps, interval: (a?.interval ?? 0) / 1000, onInconclusive: spec.onInconclusive };
  if (a !== undefined && (a.metrics ?? []).length > 0) rules.checks = { ...a, metrics: a.metrics.filter(isModelledMetric) };
  if (a?.judge !== undefined) {
    const { alpha, minEffect, tolerance, minStepEvents, maxWait, latency } = a.judge;
    rules.judge = { options: { alpha: latency ? alpha / 2 : alpha, minEffect, tolerance }, minStepEvents, maxWait: maxWait / 1000 };
  }
  return rules;
}

function startRun(rules: Rules): PolicyRun {
  const { steps, checks, interval, judge } = rules;
  let stepIndex = 0;
  let stepStart = 0;
  let weight = 0;
  let failures = 0;
  let inconclusiveInARow = 0;
  let passesThisStep = 0;
  let windowStart = 0;
  let nextCheckAt = interval;
  let window: CountBatch = empty();
  let test: CountTestState | undefined = judge === undefined ? undefined : initCountTest(judge.options);
  let judgePassed = false;
  let stepEvents = 0;
  let waitSince = 0;
  let outcome: PolicyDecision | undefined;

  const end = (o: PolicyDecision['outcome'], reason: string): void => {
    outcome ??= { outcome: o, reason };
  };
  const inconclusive = (reason: string): void => end(rules.onInconclusive === 'rollback' ? 'rolledBack' : 'held', reason);
  const watched = (): boolean => checks !== undefined && weight > 0;
  const checksAllow = (passes: number): boolean => !watched() || passesThisStep >= passes;
  const judgeAllows = (last: boolean): boolean =>
    judge === undefined || weight === 0 || judgePassed || (!last && stepEvents >= judge.minStepEvents);
  const stepDone = (now: number): boolean => {
    const step = steps[stepIndex];
    if (step === undefined) return checksAllow(1) && judgeAllows(true);
    if ('setWeight' in step) return true;
    if ('analysis' in step) return checksAllow(step.analysis.checks) && judgeAllows(false);
    const { duration } = step.pause;
    if (duration === undefined) return true; // a manual gate, promoted at once
    const waited = now - stepStart >= duration / 1000 || (judgePassed && weight > 0);
    return waited && checksAllow(1) && judgeAllows(false);
  };
  const setWeight = (now: number, to: number): void => {
    if (to === weight) return;
    weight = to;
    windowStart = now;
    nextCheckAt = now + interval;
    window = empty();
  };
  const enterStep = (now: number): void => {
    for (; outcome === undefined; stepIndex++) {
      const step = steps[stepIndex];
      if (step === undefined) {
        stepEvents = 0;
        waitSince = now;
        if (stepDone(now)) end('promoted', `all ${steps.length} steps done at ${weight}% canary`);
        return;
      }
      stepStart = now;
      passesThisStep = 0;
      stepEvents = 0;
      waitSince = now;
      if ('setWeight' in step) setWeight(now, step.setWeight);
      else if (!('pause' in step && step.pause.duration === undefined) && !stepDone(now)) return;
    }
  };
  const settle = (now: number): void => {
    if (outcome !== undefined) return;
    if (stepDone(now)) {
      stepIndex = Math.min(stepIndex + 1, steps.length);
      enterStep(now);
      return;
    }
    // The judge's deadline: maxWait past the step's own duration without its pass.
    if (judge === undefined || weight === 0 || judgePassed) return;
    const step = steps[stepIndex];
    const duration = step !== undefined && 'pause' in step ? (step.pause.duration ?? 0) / 1000 : 0;
    if (now < waitSince + duration + judge.maxWait) return;
    inconclusive(`not enough evidence at ${weight}% after waiting ${now - waitSince} s (${stepEvents} errors seen at this step, ` +
      `${judge.minStepEvents} needed to go on): ${decideCountTest(test!).reason}`);
  };
  const check = (now: number): void => {
    if (outcome !== undefined || checks === undefined || weight === 0 || now < nextCheckAt - 1e-9) return;
    const from = windowStart;
    const result = evaluateThresholds(checks, versionWindow(window.canaryRequests, window.canaryErrors),
      versionWindow(window.stableRequests, window.stableErrors), { from, to: now });
    window = empty();
    windowStart = now;
    nextCheckAt = now + interval;
    take(result.verdict, result.summary, from, now);
  };
  const take = (verdict: Verdict, summary: string, from: number, now: number): void => {
    if (verdict === 'pass') {
      inconclusiveInARow = 0;
      if (from >= stepStart) passesThisStep++;
      settle(now);
      return;
    }
    // As in the engine: an inconclusive check keeps the step's passes, a failed one erases them.
    if (verdict === 'fail') {
      passesThisStep = 0;
      inconclusiveInARow = 0;
      if (++failures > checks!.failureLimit) end('rolledBack', `${failures} failed checks > failureLimit ${checks!.failureLimit}; last: ${summary}`);
      return;
    }
    if (++inconclusiveInARow > checks!.inconclusiveLimit) {
      inconclusive(`${inconclusiveInARow} inconclusive checks in a row > inconclusiveLimit ${checks!.inconclusiveLimit}; last: ${summary}`);
    }
  };
  const feedJudge = (now: number, tick: CountBatch): void => {
    if (test === undefined || weight === 0 || tick.canaryRequests + tick.stableRequests === 0) return;
    test = updateCountTest(test, tick);
    stepEvents += tick.canaryErrors + tick.stableErrors;
    if (test.decided?.verdict === 'fail') return end('rolledBack', `judge: ${decideCountTest(test).reason}`);
    if (test.decided?.verdict === 'pass') judgePassed = true;
    settle(now);
    check(now);
  };

  enterStep(0);
  return {
    weight: () => weight / 100,
    observe(tEnd, tick) {
      window = add(window, tick);
      feedJudge(tEnd, tick);
      settle(tEnd);
      check(tEnd);
      return outcome;
    },
  };
}

function empty(): CountBatch {
  return { canaryRequests: 0, canaryErrors: 0, stableRequests: 0, stableErrors: 0 };
}

function add(a: CountBatch, b: CountBatch): CountBatch {
  return {
    canaryRequests: a.canaryRequests + b.canaryRequests,
    canaryErrors: a.canaryErrors + b.canaryErrors,
    stableRequests: a.stableRequests + b.stableRequests,
    stableErrors: a.stableErrors + b.stableErrors,
  };
}

function versionWindow(requests: number, errors: number): VersionWindow {
  return requests === 0 ? { requests, errors } : { requests, errors, successRate: (100 * (requests - errors)) / requests };
}
