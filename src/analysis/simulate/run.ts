import type { Rng } from './prng.js';
import { binomial, poisson } from './sampling.js';
import type { Policy, RunResult, Scenario, SimulationOptions } from './types.js';

/**
 * Simulates one rollout: each tick draws Poisson arrivals for both versions at the
 * policy's current weight and binomial errors at each version's rate, hands the
 * tick's counts to the policy, and stops at its first decision. Decisions take
 * effect at the end of the tick that triggered them.
 */
export function simulateRun(scenario: Scenario, policy: Policy, rng: Rng, options: SimulationOptions = {}): RunResult {
  const tick = options.tickSeconds ?? 1;
  const horizon = options.horizonSeconds ?? 3600;
  if (!(tick > 0 && Number.isFinite(tick))) throw new RangeError(`simulateRun: tickSeconds must be > 0, got ${tick}`);
  checkScenario(scenario);
  const run = policy.start();
  let bad = 0;
  let canaryRequests = 0;
  for (let i = 0; ; i++) {
    const t = i * tick;
    const tEnd = (i + 1) * tick;
    const weight = run.weight(t);
    const factor = scenario.baselineFactor?.(t) ?? 1;
    const canaryN = poisson(rng, scenario.rps * weight * tick);
    const stableN = poisson(rng, scenario.rps * (1 - weight) * tick);
    const canaryE = binomial(rng, canaryN, Math.min(1, scenario.canaryErrorRate * factor));
    const stableE = binomial(rng, stableN, Math.min(1, scenario.stableErrorRate * factor));
    bad += canaryE;
    canaryRequests += canaryN;
    const decision = run.observe(tEnd, {
      canaryRequests: canaryN,
      canaryErrors: canaryE,
      stableRequests: stableN,
      stableErrors: stableE,
    });
    if (decision !== undefined) {
      return { ...decision, badCanaryRequests: bad, canaryRequests, decisionSeconds: tEnd };
    }
    if (tEnd >= horizon) {
      return {
        outcome: 'held',
        reason: `no decision within the ${horizon} s horizon`,
        badCanaryRequests: bad,
        canaryRequests,
        decisionSeconds: tEnd,
      };
    }
  }
}

/** Runs `runs` rollouts with seeds `seed(0)`, `seed(1)`, …; each run gets its own generator. */
export function simulateMany(
  scenario: Scenario,
  policy: Policy,
  runs: number,
  rngFor: (run: number) => Rng,
  options: SimulationOptions = {},
): RunResult[] {
  const results: RunResult[] = [];
  for (let r = 0; r < runs; r++) results.push(simulateRun(scenario, policy, rngFor(r), options));
  return results;
}

function checkScenario(s: Scenario): void {
  if (!(s.rps > 0 && Number.isFinite(s.rps))) throw new RangeError(`scenario ${s.name}: rps must be > 0, got ${s.rps}`);
  for (const key of ['stableErrorRate', 'canaryErrorRate'] as const) {
    if (!(s[key] >= 0 && s[key] <= 1)) throw new RangeError(`scenario ${s.name}: ${key} must be within 0–1, got ${s[key]}`);
  }
}
