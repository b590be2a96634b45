import type { CanaryInput, RolloutInput } from './rollout-schema.js';
import type { CanaryStep, RolloutSpec } from './types.js';

type Strategy = RolloutInput['spec']['strategy'];

/**
 * The steps and routing of a validated strategy. The A/B strategy becomes
 * steps the engine already knows: no `setWeight` (the canary gets matched
 * requests only, weight 0 for the rest) and one `analysis` step of
 * `iterations` checks, after which the canary is promoted; a failed check
 * rolls it back as in any rollout.
 */
export function normaliseStrategy(strategy: Strategy, expand: (canary: CanaryInput) => CanaryStep[]): Pick<RolloutSpec, 'steps' | 'match' | 'mirror' | 'abTest'> {
  const { canary, abTest } = strategy;
  if (abTest) {
    return { steps: [{ analysis: { checks: abTest.iterations } }], match: abTest.match, abTest: { iterations: abTest.iterations } };
  }
  if (!canary) throw new Error('normaliseStrategy: strategy needs canary or abTest (validation should have caught this)');
  return {
    steps: canary.steps ?? expand(canary),
    ...(canary.match ? { match: canary.match } : {}),
    ...(canary.mirror ? { mirror: { percent: canary.mirror.percent } } : {}),
  };
}

/** The check interval: the A/B strategy's own `interval` wins over `spec.analysis.interval`. */
export function strategyInterval(strategy: Strategy, analysisInterval: number): number {
  return strategy.abTest?.interval ?? analysisInterval;
}
