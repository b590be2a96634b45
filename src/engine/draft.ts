import { allToStable } from '../routers/router.js';
import { routeOptionsOf } from '../routers/route-options.js';
import { canaryExercised, routingOf } from '../routers/routing.js';
import type { Routes } from '../routers/router.js';
import type { RolloutSpec } from '../spec/types.js';
import type { Action, EventDraft, Phase, RolloutState } from './types.js';
import { TERMINAL_PHASES } from './types.js';

/**
 * The result one call of `step` is building: a private copy of the state that
 * handlers may change in place, the actions emitted so far, and the clock.
 */
export interface Draft {
  readonly now: number;
  state: RolloutState;
  readonly actions: Action[];
}

export function emit(draft: Draft, event: EventDraft): void {
  draft.actions.push({ type: 'event', event });
}

/** Record new desired routes and ask the controller to apply them; the caller emits the event that explains why. */
export function changeRoutes(draft: Draft, routes: Routes): void {
  draft.state.routes = copyRoutes(routes);
  draft.state.canaryWeight = routes.canaryWeight;
  draft.actions.push({ type: 'setRoutes', routes: copyRoutes(routes) });
}

/** The stable/canary split of the spec's service at `canaryWeight` percent. */
export function splitRoutes(spec: RolloutSpec, canaryWeight: number): Routes {
  return {
    listen: spec.service.listen,
    stable: [...spec.service.stable.upstreams],
    canary: [...spec.service.canary.upstreams],
    canaryWeight,
    ...routeOptionsOf(spec.service),
    ...routingOf(spec),
    ...(spec.blueGreen?.previewListen ? { preview: { listen: spec.blueGreen.previewListen } } : {}),
  };
}

/** After promotion the canary's upstreams are the new stable and carry everything. */
export function promotedRoutes(spec: RolloutSpec): Routes {
  return { listen: spec.service.listen, stable: [...spec.service.canary.upstreams], canary: [], canaryWeight: 0, ...routeOptionsOf(spec.service) };
}

/** The rollback/abort routes: the spec's split with no canary traffic. */
export function stableRoutes(spec: RolloutSpec): Routes {
  return allToStable(splitRoutes(spec, 0));
}

function copyRoutes(routes: Routes): Routes {
  return { ...routes, stable: [...routes.stable], canary: [...routes.canary] };
}

/** Whether the phase ends the revision (only `retry` leaves it). */
export function isTerminal(phase: Phase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** Threshold checks run only when metrics are configured and the canary gets requests to measure — weighted, matched or mirrored (the judge is separate). */
export function isWatched(state: RolloutState): boolean {
  return state.spec.analysis !== undefined && state.spec.analysis.metrics.length > 0 && canaryExercised(state.routes);
}

/**
 * Whether the canary answers clients now: by weight, or through A/B match
 * rules (an A/B test runs at weight 0). Mirrored requests do not count: their
 * answers never reach a client and are measured apart.
 */
export function canaryServes(state: RolloutState): boolean {
  return state.routes.canary.length > 0 && (state.canaryWeight > 0 || (state.routes.match?.length ?? 0) > 0);
}
