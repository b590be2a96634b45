import type { Policy, PolicyRun } from './types.js';
import { CheckWindow, onBoundary } from './window.js';

export const FLAGGER_POLICY = 'flagger';

export interface FlaggerPolicyOptions {
  type: typeof FLAGGER_POLICY;
  name?: string;
  /** analysis.interval in seconds. Default 60. */
  intervalSeconds?: number;
  /** analysis.stepWeight in percent. Default 10. */
  stepWeight?: number;
  /** analysis.maxWeight in percent. Default 50. */
  maxWeight?: number;
  /** analysis.threshold: failed checks that trigger a rollback. */
  threshold: number;
  /** request-success-rate thresholdRange.min in percent. Default 99. */
  minSuccessRate?: number;
}

/**
 * Flagger's canary analysis as its scheduler runs it (pkg/controller/scheduler.go), one
 * controller tick per interval: the first tick starts the analysis and sets the weight to
 * stepWeight; each later tick first rolls back if failed checks have reached the threshold,
 * then checks the canary's success rate over the last interval. A failed check (including
 * one with no canary requests: "no values found") counts and holds the weight; failed checks
 * are never reset. A passed check adds stepWeight, or promotes once maxWeight is reached.
 */
export function flaggerPolicy(options: FlaggerPolicyOptions): Policy {
  const interval = options.intervalSeconds ?? 60;
  const step = options.stepWeight ?? 10;
  const max = options.maxWeight ?? 50;
  const minRate = options.minSuccessRate ?? 99;
  if (!(Number.isInteger(options.threshold) && options.threshold >= 1)) {
    throw new RangeError(`flagger policy: threshold must be a whole number ≥ 1, got ${options.threshold}`);
  }
  if (!(step > 0 && max >= step && max <= 100)) throw new RangeError(`flagger policy: need 0 < stepWeight ≤ maxWeight ≤ 100`);
  return {
    type: FLAGGER_POLICY,
    name: options.name ?? `flaggerThr${options.threshold}`,
    start(): PolicyRun {
      let weight = 0;
      let started = false;
      let failed = 0;
      const window = new CheckWindow();
      return {
        weight: () => weight / 100,
        observe(tEnd, tick) {
          window.add(tick);
          if (!onBoundary(tEnd, interval)) return undefined;
          const rate = window.takeSuccessRate();
          if (failed >= options.threshold) {
            return { outcome: 'rolledBack', reason: `failed checks ${failed} reached the threshold ${options.threshold}` };
          }
          if (!started) {
            started = true;
            weight = step;
            return undefined;
          }
          if (rate === undefined || rate < minRate) {
            failed++;
            return undefined;
          }
          if (weight < max) {
            weight = Math.min(max, weight + step);
            return undefined;
          }
          return { outcome: 'promoted', reason: `success rate ${rate.toFixed(2)}% ≥ ${minRate}% at max weight ${max}%` };
        },
      };
    },
  };
}
