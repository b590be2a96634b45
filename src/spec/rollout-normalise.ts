import type { CanaryInput, RolloutInput } from './rollout-schema.js';
import type { CanaryStep, Rollout } from './types.js';
import { normaliseStrategy, strategyInterval } from './routing-normalise.js';
import { normaliseLifecycle } from './lifecycle-normalise.js';
import { normaliseBlueGreen } from './blue-green-schema.js';
import { flagService } from '../flags/guarded.js';

/** Default `maxWeight` of the Flagger shorthand with `stepWeight`. */
export const DEFAULT_MAX_WEIGHT = 50;

/** Turns a validated Rollout input into its normalised form: explicit steps, defaults applied. */
export function normaliseRollout(input: RolloutInput): Rollout {
  const { metadata, spec } = input;
  return {
    apiVersion: input.apiVersion,
    kind: input.kind,
    metadata: { name: metadata.name, ...(metadata.labels ? { labels: metadata.labels } : {}) },
    spec: {
      // validation guarantees exactly one of service and flag
      service: spec.service ?? flagService(spec.flag!),
      ...(spec.flag ? { flag: { ...spec.flag } } : {}),
      ...(spec.strategy.blueGreen ? normaliseBlueGreen(spec.strategy.blueGreen) : normaliseStrategy(spec.strategy, expandShorthand)),
      ...(spec.analysis ? { analysis: { ...spec.analysis, interval: strategyInterval(spec.strategy, spec.analysis.interval), metrics: spec.analysis.metrics ?? [] } } : {}),
      onFailure: spec.onFailure,
      onInconclusive: spec.onInconclusive,
      ...normaliseLifecycle(spec),
    },
  };
}

/**
 * Flagger's shorthand as explicit steps: for each weight, `setWeight` then a
 * pause of `interval`. With `stepWeight` the weights climb by that increment
 * and stop at `maxWeight` (the last one capped to it, as Flagger does).
 */
export function expandShorthand(canary: CanaryInput): CanaryStep[] {
  if (canary.interval === undefined) throw new Error('expandShorthand: interval is required (validation should have caught this)');
  const duration = canary.interval;
  return shorthandWeights(canary).flatMap((w): CanaryStep[] => [{ setWeight: w }, { pause: { duration } }]);
}

/** The ascending weights the shorthand goes through. */
export function shorthandWeights(canary: Pick<CanaryInput, 'stepWeight' | 'stepWeights' | 'maxWeight'>): number[] {
  if (canary.stepWeights !== undefined) return [...canary.stepWeights];
  if (canary.stepWeight === undefined) throw new Error('shorthandWeights: stepWeight or stepWeights is required (validation should have caught this)');
  const max = canary.maxWeight ?? DEFAULT_MAX_WEIGHT;
  const weights: number[] = [];
  for (let w = canary.stepWeight; w < max; w += canary.stepWeight) weights.push(w);
  weights.push(max);
  return weights;
}
