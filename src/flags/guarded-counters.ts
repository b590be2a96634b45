import type { CounterSource } from '../metrics/builtin.js';
import type { ServiceSnapshot, VersionCounters } from '../proxy/counters.js';
import type { FlagTargetSpec } from '../spec/types.js';
import type { TrackingAggregator } from './tracking.js';

const ZERO: VersionCounters = { requests: 0, status5xx: 0, proxyErrors: 0, errors: 0, latency: { count: 0, sum: 0, buckets: [] } };

/**
 * The per-version counters of guarded flag rollouts, from what applications
 * track: "canary" is the users served the rolled-out variant, "stable" every
 * other user of the flag. Shaped like the proxy's counters, so the builtin
 * provider (windows, threshold checks) and the judge's feed take them as they are.
 */
export class GuardedFlagCounters implements CounterSource {
  constructor(
    private readonly tracking: TrackingAggregator,
    /** The flag a rollout guards; undefined when the rollout is not a flag rollout. */
    private readonly targetOf: (service: string) => FlagTargetSpec | undefined,
  ) {}

  snapshot(service: string): ServiceSnapshot | undefined {
    const t = this.targetOf(service);
    if (!t) return undefined;
    const split = this.tracking.split(t.environment, t.key, t.variant);
    return { at: this.tracking.now, canary: split?.variant ?? ZERO, stable: split?.rest ?? ZERO };
  }
}
