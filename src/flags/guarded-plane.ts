import type { WindowSource } from '../controller/checks.js';
import { isTerminal } from '../engine/index.js';
import { BuiltinProvider, type CounterSource, type MeasuredWindow } from '../metrics/builtin.js';
import { FlagRouter } from '../routers/flag.js';
import { FlagOrTrafficRouter } from '../routers/flag-or-traffic.js';
import type { TrafficRouter } from '../routers/router.js';
import type { RolloutRecord, Store, StoredEvent } from '../store/store.js';
import { GuardedFlagCounters } from './guarded-counters.js';
import { routesShare } from './guarded.js';
import type { FlagLock } from './rollout-lock.js';
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
 *
 * It also locks each flag a live rollout drives (FlagService.lockWith), and
 * records a kill switch — the flag switched off by hand — on the rollout as
 * routes the flag no longer confirms, so the rollout holds and says so.
 */
export function withGuardedFlags(opts: GuardedFlagsOptions) {
  const targetOf = (service: string) => opts.store.getRollout(service)?.state.spec.flag;
  const counters = new GuardedFlagCounters(opts.tracking, targetOf);
  const measured = new BuiltinProvider(counters, { now: opts.now });
  const { traffic, store, flags } = opts;
  const now = opts.now ?? Date.now;
  flags.lockWith(() => store.listRollouts().flatMap((r) => lockOf(r) ?? []));
  flags.subscribe((change) => {
    if (change.actor.startsWith('rollout/')) return;
    for (const r of store.listRollouts()) {
      const t = r.state.spec.flag;
      if (t && t.environment === change.environment && change.flags.includes(t.key)) recordKill(r, change.actor);
    }
  });
  /** Told the events recordKill stores (see onRecorded). */
  const recorded = new Set<(events: StoredEvent[]) => void>();
  const recordKill = (r: RolloutRecord, actor: string) => {
    const t = r.state.spec.flag!;
    const confirmed = r.confirmedRoutes;
    if (!confirmed || isTerminal(r.state.phase)) return;
    const def = flags.flags({ environment: t.environment, key: t.key })[0]?.definition;
    const was = routesShare(t, confirmed);
    if (!def || def.enabled || was === 0) return;
    const message =
      `flag ${t.key} (${t.environment}) switched off by ${actor}: it serves "${t.variant}" to 0% of users, not the rollout's ${was}%; ` +
      `the rollout holds (no measurements, no steps) until the flag is switched on again (\`sluice flags set ${t.key} --on\`) or the rollout is aborted (\`sluice abort ${r.name}\`)`;
    // Synchronous read-then-write: the controller cannot interleave, and it never writes while a flag change is told (it is not the actor).
    // No confirmed routes: the controller re-applies them each tick (the router never switches a killed flag back on) and holds the rollout until the flag confirms them.
    const saved = store.saveRollout({ name: r.name, rollout: r.rollout, state: r.state }, [{ type: 'routes-confirmed', actor, message, data: { flag: t, servedShare: 0, rolloutShare: was } }], r.version, now());
    for (const listener of [...recorded]) listener(saved.events);
  };
  const windows: WindowSource = {
    window: (service, from, to) => measured.window(service, from, to) ?? traffic.windows.window(service, from, to),
    mark: (service) => (targetOf(service) ? measured.mark(service) : traffic.windows.mark?.(service)),
  };
  return {
    router: new FlagOrTrafficRouter(traffic.router, new FlagRouter(flags, { startedAt: (service) => store.getRollout(service)?.state.startedAt })),
    windows,
    counters: { snapshot: (service: string) => counters.snapshot(service) ?? traffic.counters.snapshot(service) } satisfies CounterSource,
    /** Samples the tracked counters of every flag rollout. */
    sample: () => measured.sample(opts.store.listRollouts().filter((r) => r.state.spec.flag).map((r) => r.name)),
    /** Calls `listener` with the events this plane stores on a rollout itself (a kill switch), e.g. to put them on the live event stream. */
    onRecorded: (listener: (events: StoredEvent[]) => void) => {
      recorded.add(listener);
    },
    /** A flag rollout's measurements over [from, to]; undefined for traffic rollouts. */
    window: (service: string, from: number, to: number): MeasuredWindow | undefined => measured.window(service, from, to),
  };
}

/** The lock a rollout holds on its flag: while it progresses or waits at a gate (a user's pause, an inconclusive pause or its end release it). */
function lockOf(r: RolloutRecord): FlagLock | undefined {
  const s = r.state;
  const t = s.spec.flag;
  if (!t || isTerminal(s.phase) || (s.phase === 'paused' && s.pauseReason !== 'gate')) return undefined;
  const steps = s.spec.steps.length;
  return { environment: t.environment, key: t.key, rollout: r.name, phase: s.phase, step: Math.min(s.stepIndex + 1, steps), steps, variant: t.variant, share: routesShare(t, s.routes), startedAt: s.startedAt };
}
