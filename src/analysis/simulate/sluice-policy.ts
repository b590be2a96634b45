import { decideCountTest, initCountTest, resolveCountOptions, updateCountTest } from '../sequential.js';
import type { CountTestOptions } from '../sequential-types.js';
import { checkSteps } from './steps.js';
import type { WeightStep } from './steps.js';
import type { Policy, PolicyRun } from './types.js';

export const SLUICE_POLICY = 'sluice';

export interface SluicePolicyOptions {
  type: typeof SLUICE_POLICY;
  name?: string;
  /** Weight schedule; default Argo's 10/20/40/60/80 %, one minute each. */
  steps?: readonly WeightStep[];
  /** The counting test's options (alpha, minEffect, …). */
  judge?: CountTestOptions;
  /**
   * Events (errors on either version) a step must have seen before the weight may grow:
   * more traffic is never sent to a canary on silence. Default 10.
   */
  minStepEvents?: number;
  /**
   * How long a step may run past its duration while evidence is lacking (too few events,
   * or, on the last step, no pass yet); the rollout is then held — paused for a person,
   * never promoted blind. Default 300 s.
   */
  maxWaitSeconds?: number;
}

export const ARGO_STEPS: readonly WeightStep[] = [10, 20, 40, 60, 80].map((percent) => ({ weight: percent / 100, seconds: 60 }));

/**
 * Sluice's judge in the simulator: the counting test is updated on every tick; it rolls
 * back the moment the fail side decides and promotes the moment the pass side decides,
 * whatever the step. A step advances once its duration has passed and it has seen
 * minStepEvents events; the last step ends only by a decision. A step that waits more
 * than maxWaitSeconds past its duration holds the rollout.
 */
export function sluicePolicy(options: SluicePolicyOptions): Policy {
  const steps = options.steps ?? ARGO_STEPS;
  checkSteps(steps, 'sluice policy');
  const judge = options.judge ?? {};
  resolveCountOptions(judge); // fail fast on bad options, not inside the first run
  const wait = options.maxWaitSeconds ?? 300;
  const minEvents = options.minStepEvents ?? 10;
  if (!(wait >= 0)) throw new RangeError(`sluice policy: maxWaitSeconds must be ≥ 0, got ${wait}`);
  if (!(Number.isInteger(minEvents) && minEvents >= 0)) {
    throw new RangeError(`sluice policy: minStepEvents must be a whole number ≥ 0, got ${minEvents}`);
  }
  return {
    type: SLUICE_POLICY,
    name: options.name ?? SLUICE_POLICY,
    start(): PolicyRun {
      let state = initCountTest(judge);
      let index = 0;
      let stepStart = 0;
      let stepEvents = 0;
      return {
        weight: () => steps[index].weight,
        observe(tEnd, tick) {
          state = updateCountTest(state, tick);
          if (state.decided !== undefined) {
            // The reason sentence is built only when a run ends: it is the costly part of a tick.
            const { reason } = decideCountTest(state);
            return { outcome: state.decided.verdict === 'fail' ? 'rolledBack' : 'promoted', reason };
          }
          stepEvents += tick.canaryErrors + tick.stableErrors;
          const step = steps[index];
          const elapsed = tEnd - stepStart;
          const last = index === steps.length - 1;
          if (!last && elapsed >= step.seconds && stepEvents >= minEvents) {
            index++;
            stepStart = tEnd;
            stepEvents = 0;
            return undefined;
          }
          if (elapsed >= step.seconds + wait) {
            const why = last
              ? `no pass ${wait} s after the last step's duration`
              : `only ${stepEvents} events at ${step.weight * 100}% after ${elapsed} s (need ${minEvents})`;
            return { outcome: 'held', reason: `${why}: ${decideCountTest(state).reason}` };
          }
          return undefined;
        },
      };
    },
  };
}
