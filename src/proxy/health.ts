/** When an instance is taken out of rotation after failing (passive outlier detection, as Envoy does it). */
export interface OutlierPolicy {
  /** Failures in a row (proxy errors, upstream 502/503/504) that eject an instance. */
  consecutiveFailures: number;
  /** How long the first ejection lasts; the n-th lasts n times as long, up to `maxEjectionMs`. */
  baseEjectionMs: number;
  maxEjectionMs: number;
}

export const DEFAULT_OUTLIER_POLICY: OutlierPolicy = { consecutiveFailures: 5, baseEjectionMs: 10_000, maxEjectionMs: 300_000 };

/**
 * The passive health of one upstream instance, fed by the outcome of every
 * request sent to it. An ejected instance gets no new requests until its
 * ejection ends; then it is tried again and ejected for longer if it still fails.
 */
export class InstanceHealth {
  /** Failures since the last success. */
  consecutive = 0;
  /** Clock time the current ejection ends (0: never ejected). */
  ejectedUntil = 0;
  /** Ejections so far; reset after a long healthy stretch. */
  ejections = 0;

  success(): void {
    this.consecutive = 0;
  }

  /** Records a failure at `now`; true when it ejects the instance. */
  failure(now: number, policy: OutlierPolicy): boolean {
    if (this.ejectedUntil > now) return false; // requests already in flight when it was ejected
    if (++this.consecutive < policy.consecutiveFailures) return false;
    if (now - this.ejectedUntil > policy.maxEjectionMs) this.ejections = 0;
    this.ejections++;
    this.ejectedUntil = now + Math.min(policy.maxEjectionMs, policy.baseEjectionMs * this.ejections);
    this.consecutive = 0;
    return true;
  }

  available(now: number): boolean {
    return this.ejectedUntil <= now;
  }
}
