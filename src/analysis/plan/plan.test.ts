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
