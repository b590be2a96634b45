import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRolloutDocuments } from '../../spec/index.js';
import type { Rollout } from '../../spec/types.js';
import { planRollout } from './plan.js';
import { renderPlan } from './render-text.js';
import { PlanError } from './types.js';
import type { PlanInputs, PlanReport } from './types.js';

function example(file: string): Rollout {
  const { rollouts, errors } = parseRolloutDocuments(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'), file);
  expect(errors).toEqual([]);
  return rollouts[0];
}

const STEPS = example('canary-steps.yaml');
const STICKY = example('sticky-canary.yaml');
const AB = example('ab-test.yaml');
const BLUE_GREEN = example('blue-green.yaml');
const INPUTS: PlanInputs = { rps: 200, errorRate: 0.005, regression: 2, power: 0.95, runs: 200, seed: 7, compare: ['flagger', 'argo'] };
/** A clock that advances 1.5 s per reading, so reports carry a known simulation time. */
const clock = (): (() => number) => {
  let t = 0;
  return () => (t += 1500);
};

describe('planRollout', () => {
  it('is reproducible under a seed, and another seed gives other figures', () => {
    const a = planRollout(STEPS, INPUTS, clock());
    const b = planRollout(STEPS, INPUTS, clock());
    const c = planRollout(STEPS, { ...INPUTS, seed: 8 }, clock());
    expect(a).toEqual(b);
    expect(a.simulation.seconds).toBe(1.5);
    expect(a.simulation.policies).not.toEqual(c.simulation.policies);
    expect(a.stages).toEqual(c.stages); // the per-step figures are exact, not simulated
  });

  it("adding --compare leaves the file's own figures as they were", () => {
    const alone = planRollout(STEPS, { ...INPUTS, compare: [] }, clock());
    const compared = planRollout(STEPS, INPUTS, clock());
    expect(compared.simulation.policies.map((p) => p.policy)).toEqual(['file', 'flagger', 'argo']);
    expect(compared.simulation.policies[0]).toEqual(alone.simulation.policies[0]);
  });

  it('simulates each policy on both cases, with exposure before rollbacks', () => {
    const report = planRollout(STEPS, { ...INPUTS, regression: 10 }, clock());
    const [file, flagger, argo] = report.simulation.policies;
    for (const p of [file, flagger, argo]) {
      for (const c of [p.healthy, p.regressed]) {
        expect(c.runs).toBe(200);
        expect(c.rollbackRate + c.promoteRate + c.holdRate).toBeCloseTo(1, 12);
      }
    }
    // A 10× regression (5% errors) is rolled back by all three; the file checks every 10 s, so it is the quickest.
    expect(file.regressed.rollbackRate).toBe(1);
    expect(file.regressed.decisionSeconds.median).toBeLessThan(argo.regressed.decisionSeconds.median);
    expect(argo.regressed.decisionSeconds.median).toBe(60);
    expect(flagger.regressed.decisionSeconds.median).toBe(420);
    const before = file.regressed.beforeRollback!;
    expect(before.badRequests.median).toBeGreaterThan(0);
    expect(before.badRequests.median).toBeLessThanOrEqual(before.badRequests.p95);
    expect(before.canaryRequests.median).toBeGreaterThan(before.badRequests.median);
    expect(flagger.healthy.beforeRollback).toBeUndefined(); // Flagger's threshold 5 never rolls a healthy canary back here
  });

  it("warns about the example's frequent false rollbacks and the latency it cannot model", () => {
    const report = planRollout(STEPS, INPUTS, clock());
    expect(report.simulation.policies[0].healthy.rollbackRate).toBeGreaterThan(0.05);
    const flags = report.warnings.map((w) => w.flag);
    expect(flags).toContain('false-rollbacks');
    expect(flags).toContain('not-modelled');
    expect(flags.filter((f) => f === 'too-short')).toHaveLength(4);
  });

  it.each([
    [{ rps: 0 }, /rps must be a number of requests per second above 0/],
    [{ errorRate: 0.5, regression: 3 }, /a 3× regression of a 50% error rate exceeds 100%/],
    [{ power: 1 }, /power must be within \(0, 1\)/],
    [{ runs: 0 }, /runs must be a whole number from 1 to 100000/],
  ])('rejects %o', (change, message) => {
    expect(() => planRollout(STEPS, { ...INPUTS, ...change })).toThrow(message);
    try {
      planRollout(STEPS, { ...INPUTS, ...change });
    } catch (err) {
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).code).toBe('SLUICE_PLAN_FLAG');
    }
  });

  it('rejects a rollout that never sends traffic to the canary', () => {
    const quiet: Rollout = { ...STEPS, spec: { ...STEPS.spec, steps: [{ pause: { duration: 60_000 } }] } };
    expect(() => planRollout(quiet, INPUTS)).toThrow(/never sends traffic to the canary: add a setWeight step above 0/);
  });
});

describe('planRollout on mirror metrics (sticky-canary.yaml: mirror-success-rate and mirror-latency-p99 only)', () => {
  const report = planRollout(STICKY, { ...INPUTS, compare: [] }, clock());
  const text = renderPlan(report);

  it('shows mirror-success-rate as a rate in percent and mirror-latency-p99 with its bound relative to stable', () => {
    expect(report.analysis).toBe('threshold checks every 30s (mirror-success-rate ≥ 99%, mirror-latency-p99 ≤ 1.5× stable, failureLimit 1, minRequests 20)');
    expect(text).not.toContain('99ms');
  });

  it('says the copies are judged but not simulated, with how many a check sees, and claims no missing success-rate check', () => {
    const notes = report.warnings.filter((w) => w.flag === 'not-modelled').map((w) => w.message);
    expect(notes).toEqual([
      "mirror-success-rate ≥ 99%: judged on the canary's answers to mirrored copies of stable's requests (mirror.percent 50: ~3,000 at 0% down to ~1,500 at 50% per 30s check), " +
        'which the plan does not simulate: its figures take these checks to pass and say nothing of what the copies catch',
      'mirror-latency-p99 ≤ 1.5× stable: taken to pass; the plan models errors, not latency',
    ]);
    expect(text).not.toMatch(/no success-rate check|mirror-success-rate[^\n]*the plan models errors, not latency/);
  });

  it('flags the weighted stages "not modelled" rather than undetectable, and does not advise lengthening them', () => {
    expect(report.stages.filter((s) => s.weight > 0).map((s) => s.flags)).toEqual([['not-modelled'], ['not-modelled'], ['not-modelled']]);
    const missed = report.warnings.find((w) => w.flag === 'missed-regressions')!;
    expect(missed.message).toMatch(/which take mirror-success-rate ≥ 99% to pass: nothing judges the errors of the requests the canary serves; add a success-rate check or the judge/);
    expect(report.warnings.map((w) => w.message).join('\n')).not.toMatch(/lengthen the steps|cannot detect the regression/);
    expect(text).toMatch(/^ {2}2–3 +5% +5m +3,000 +15 \/ 30 +- +- +not modelled$/m);
  });

  it('plans own success-rate checks as before when mirror checks come with them', () => {
    const both: Rollout = { ...STICKY, spec: { ...STICKY.spec, analysis: { ...STICKY.spec.analysis!, metrics: [...STICKY.spec.analysis!.metrics, { name: 'success-rate', min: 99 }] } } };
    const r = planRollout(both, { ...INPUTS, compare: [] }, clock());
    expect(r.stages.filter((s) => s.weight > 0).every((s) => s.thresholds?.seconds !== undefined && !s.flags.includes('not-modelled'))).toBe(true);
  });
});

describe('planRollout on strategies without weighted steps', () => {
  it('refuses an A/B test with what its checks need of the matched traffic, not advice to add a setWeight step', () => {
    expect(() => planRollout(AB, INPUTS)).toThrow(
      'rollout "checkout-ab" is an A/B test, and plan simulates weighted canary steps only: its canary gets just the requests its match rules pick, a share plan cannot know; ' +
        'each check needs minRequests 50 matched requests per 30s (~1.7 rps, 0.83% of your 200 rps), else it is inconclusive; ' +
        'to plan it, copy the file as a canary with a setWeight of the matched share followed by analysis: {checks: 10}',
    );
  });

  it('refuses blue-green, saying the preview is what the pre-promotion checks see', () => {
    try {
      planRollout(BLUE_GREEN, INPUTS);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).code).toBe('SLUICE_PLAN_ROLLOUT');
      expect((err as PlanError).message).toMatch(/^rollout "checkout" is blue-green, and plan simulates weighted canary steps only: .*\(requests with x-preview: 1\), whose traffic is all its pre-promotion checks see; each check needs minRequests 20 preview requests per 30s/);
      expect((err as PlanError).message).not.toContain('setWeight step above 0');
    }
  });
});

describe('renderPlan', () => {
  it('prints a table per section and the warnings last', () => {
    const report: PlanReport = planRollout(STEPS, INPUTS, clock());
    const text = renderPlan(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Plan for rollout "checkout" at 200 rps and 0.5% errors: detect a 2× regression (1% errors) with 95% power');
    expect(text).toMatch(/^ {2}step {2}weight {2}lasts .* flags$/m);
    expect(text).toMatch(/^ {2}1–2 {6}10% {2}≥20s \(2 checks\) +400 +2 \/ 4 +~1m30s \(checks\) +\d+(\.\d)?% {2}too short$/m);
    expect(text).toMatch(/^ +checkout {2}Flagger default {4}Argo default$/m);
    expect(text).toMatch(/^ {4}bad requests before rollback p50 \/ p95 +\d+ \/ \d+ +\d+ \/ \d+ +\d+ \/ \d+$/m);
    expect(text).toContain('Simulated rollouts (200 per case, seed 7, 1.5 s)');
    const warnings = lines.indexOf('Warnings');
    expect(warnings).toBeGreaterThan(lines.findIndex((l) => l.includes('wrongly rolled back')));
    expect(lines.slice(warnings + 1).every((l) => l.startsWith('  - '))).toBe(true);
  });
});
