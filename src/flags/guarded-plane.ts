import type { WindowSource } from '../controller/checks.js';
import { BuiltinProvider, type CounterSource, type MeasuredWindow } from '../metrics/builtin.js';
import { FlagRouter } from '../routers/flag.js';
import { FlagOrTrafficRouter } from '../routers/flag-or-traffic.js';
import type { TrafficRouter } from '../routers/router.js';
import type { Store } from '../store/store.js';
import { GuardedFlagCounters } from './guarded-counters.js';
import type { FlagService } from './service.js';
import type { TrackingAggregator } from './tracking.js';

export interface GuardedFlagsOptions {
  flags: FlagService;
  tracking: TrackingAggregator;
  store: Store;
  now?: () => number;
  /** The traffic side, as the controller would have it without flag rollouts. */
  traffic: { router: TrafficRouter; windows: WindowSource; counters: CounterSource };
}

/**
 * Puts guarded flag rollouts beside traffic rollouts under one controller:
 * its router, window source and counter source answer for flag rollouts from
 * the flag and the tracked outcomes, and hand everything else to the traffic
 * side. `sample` must be called about once a second (as for the proxy).
 */
export function withGuardedFlags(opts: GuardedFlagsOptions) {
  const targetOf = (service: string) => opts.store.getRollout(service)?.state.spec.flag;
  const counters = new GuardedFlagCounters(opts.tracking, targetOf);
  const measured = new BuiltinProvider(counters, { now: opts.now });
  const { traffic } = opts;
  const windows: WindowSource = {
    window: (service, from, to) => measured.window(service, from, to) ?? traffic.windows.window(service, from, to),
    mark: (service) => (targetOf(service) ? measured.mark(service) : traffic.windows.mark?.(service)),
  };
  return {
    router: new FlagOrTrafficRouter(traffic.router, new FlagRouter(opts.flags)),
    windows,
    counters: { snapshot: (service: string) => counters.snapshot(service) ?? traffic.counters.snapshot(service) } satisfies CounterSource,
    /** Samples the tracked counters of every flag rollout. */
    sample: () => measured.sample(opts.store.listRollouts().filter((r) => r.state.spec.flag).map((r) => r.name)),
    /** A flag rollout's measurements over [from, to]; undefined for traffic rollouts. */
    window: (service: string, from: number, to: number): MeasuredWindow | undefined => measured.window(service, from, to),
  };
}
