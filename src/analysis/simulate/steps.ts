/** One step of a weight schedule. */
export interface WeightStep {
  /** Canary share of traffic, 0–1. */
  weight: number;
  seconds: number;
}

/** The step in force at time t; past the end, the last step (it is extended). */
export function stepAt(steps: readonly WeightStep[], t: number): WeightStep {
  let end = 0;
  for (const step of steps) {
    end += step.seconds;
    if (t < end) return step;
  }
  return steps[steps.length - 1];
}

export function totalSeconds(steps: readonly WeightStep[]): number {
  return steps.reduce((sum, s) => sum + s.seconds, 0);
}

export function checkSteps(steps: readonly WeightStep[], where: string): void {
  if (steps.length === 0) throw new RangeError(`${where}: steps must list at least one { weight, seconds }`);
  steps.forEach((s, i) => {
    if (!(s.weight > 0 && s.weight < 1)) throw new RangeError(`${where}: steps[${i}].weight must be within (0, 1), got ${s.weight}`);
    if (!(s.seconds > 0)) throw new RangeError(`${where}: steps[${i}].seconds must be > 0, got ${s.seconds}`);
  });
}
