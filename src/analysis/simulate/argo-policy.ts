import { ARGO_STEPS } from './sluice-policy.js';
import { checkSteps, stepAt, totalSeconds } from './steps.js';
import type { WeightStep } from './steps.js';
import type { Policy, PolicyRun } from './types.js';
import { CheckWindow, onBoundary } from './window.js';

export const ARGO_POLICY = 'argo';

export interface ArgoPolicyOptions {
  type: typeof ARGO_POLICY;
  name?: string;
  /** setWeight/pause steps; default 10/20/40/60/80 %, one minute each. */
  steps?: readonly WeightStep[];
  /** Background analysis interval in seconds. Default 60. */
  intervalSeconds?: number;
  /** successCondition: result >= minSuccessRate (percent). Default 99. */
  minSuccessRate?: number;
  /** Failed measurements tolerated; one more aborts. Default 0. */
  failureLimit?: number;
}

/**
 * Argo Rollouts' canary with a background AnalysisRun: steps advance on their pauses;
 * every interval a measurement takes the canary's success rate over the last interval
 * (NaN with no requests, which fails `result >= 0.99`). More than failureLimit failed
 * measurements abort the rollout; past the last step it is promoted. At a boundary the
 * measurement is taken before the step advances.
 */
export function argoPolicy(options: ArgoPolicyOptions): Policy {
  const steps = options.steps ?? ARGO_STEPS;
  checkSteps(steps, 'argo policy');
  const interval = options.intervalSeconds ?? 60;
  const minRate = options.minSuccessRate ?? 99;
  const failureLimit = options.failureLimit ?? 0;
  const end = totalSeconds(steps);
  return {
    type: ARGO_POLICY,
    name: options.name ?? ARGO_POLICY,
    start(): PolicyRun {
      let failed = 0;
      const window = new CheckWindow();
      return {
        weight: (t) => stepAt(steps, t).weight,
        observe(tEnd, tick) {
          window.add(tick);
          if (onBoundary(tEnd, interval)) {
            const rate = window.takeSuccessRate();
            if (rate === undefined || rate < minRate) failed++;
            if (failed > failureLimit) {
              const shown = rate === undefined ? 'NaN (no requests)' : `${rate.toFixed(2)}%`;
              return { outcome: 'rolledBack', reason: `success rate ${shown} < ${minRate}%: ${failed} failed > failureLimit ${failureLimit}` };
            }
          }
          if (tEnd >= end) return { outcome: 'promoted', reason: `all ${steps.length} steps completed` };
          return undefined;
        },
      };
    },
  };
}
