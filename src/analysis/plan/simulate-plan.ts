import type { RolloutSpec } from '../../spec/types.js';
import { createPolicy } from '../simulate/policy.js';
import { createRng, seedOf } from '../simulate/prng.js';
import { simulateMany } from '../simulate/run.js';
import { quantile } from '../simulate/summary.js';
import type { Policy, RunResult, Scenario } from '../simulate/types.js';
import { describeRollout } from './describe.js';
import { rolloutFilePolicy } from './file-policy.js';
import { rolloutStages } from './stages.js';
import type { CaseSummary, ComparedPolicy, PlanInputs, PolicySummary } from './types.js';

/** The compared tools' default policies, as issue 3 states them. */
const COMPARED: Record<ComparedPolicy, { label: string; description: string; make: () => Policy }> = {
  flagger: {
    label: 'Flagger default',
    description: 'interval 1m, stepWeight 10, maxWeight 50, threshold 5, success rate ≥ 99% per minute',
    make: () => createPolicy({ type: 'flagger', name: 'flagger', threshold: 5 }),
  },
  argo: {
    label: 'Argo default',
    description: 'steps 10/20/40/60/80% with 1m pauses, success rate ≥ 99% each minute, failureLimit 0',
    make: () => createPolicy({ type: 'argo', name: 'argo' }),
  },
};

/** Stable per-policy seed parts, so adding --compare never changes the file's own figures. */
const POLICY_SEED: Record<PolicySummary['policy'], number> = { file: 0, flagger: 1, argo: 2 };

/**
 * Simulates the rollout file's policy (and the compared ones) on Poisson traffic, `runs`
 * seeded rollouts each for a healthy canary and for the regressed one. Deterministic: the
 * same inputs give the same figures.
 */
export function simulatePlan(name: string, spec: RolloutSpec, inputs: PlanInputs): PolicySummary[] {
  const healthy: Scenario = { name: 'healthy', rps: inputs.rps, stableErrorRate: inputs.errorRate, canaryErrorRate: inputs.errorRate };
  const regressed: Scenario = { ...healthy, name: 'regressed', canaryErrorRate: Math.min(1, inputs.errorRate * inputs.regression) };
  const entries: Array<{ policy: PolicySummary['policy']; label: string; description: string; make: () => Policy; horizon: number }> = [
    { policy: 'file', label: name, description: describeRollout(spec), make: () => rolloutFilePolicy(spec, name), horizon: horizonFor(spec) },
    ...inputs.compare.map((c) => ({ policy: c, ...COMPARED[c], horizon: 3600 })),
  ];
  return entries.map((e) => {
    const policy = e.make();
    const run = (scenario: Scenario, caseSeed: number): CaseSummary =>
      summariseCase(
        simulateMany(scenario, policy, inputs.runs, (r) => createRng(seedOf(inputs.seed, POLICY_SEED[e.policy], caseSeed, r)), {
          horizonSeconds: e.horizon,
        }),
      );
    return { policy: e.policy, label: e.label, description: e.description, healthy: run(healthy, 0), regressed: run(regressed, 1) };
  });
}

/** Long enough for every step, its checks and the judge's waits; at least an hour. */
function horizonFor(spec: RolloutSpec): number {
  const stages = rolloutStages(spec);
  const steps = stages.reduce((sum, s) => sum + s.minSeconds, 0);
  const analysis = spec.analysis;
  const checks = analysis === undefined ? 0 : ((analysis.inconclusiveLimit + analysis.failureLimit + 2) * analysis.interval) / 1000;
  const waits = analysis?.judge === undefined ? 0 : (analysis.judge.maxWait / 1000) * (stages.length + 1);
  return Math.max(3600, Math.ceil(2 * (steps + checks * stages.length + waits)));
}

/** Rates over all runs; exposure before a rollback over the rolled-back runs only. */
export function summariseCase(results: readonly RunResult[]): CaseSummary {
  const n = results.length;
  const rate = (o: RunResult['outcome']): number => results.filter((r) => r.outcome === o).length / n;
  const q = (xs: number[]) => ({ median: quantile(xs, 0.5), p95: quantile(xs, 0.95) });
  const summary: CaseSummary = {
    runs: n,
    rollbackRate: rate('rolledBack'),
    promoteRate: rate('promoted'),
    holdRate: rate('held'),
    decisionSeconds: q(results.map((r) => r.decisionSeconds)),
  };
  const rolledBack = results.filter((r) => r.outcome === 'rolledBack');
  if (rolledBack.length > 0) {
    summary.beforeRollback = {
      canaryRequests: q(rolledBack.map((r) => r.canaryRequests)),
      badRequests: q(rolledBack.map((r) => r.badCanaryRequests)),
    };
  }
  return summary;
}
