import type { Routes } from '../routers/router.js';
import type { RoleCounters, ServiceCounters } from './counters.js';
import type { OutlierPolicy } from './health.js';
import type { RouteTable } from './route-table.js';
import type { Upstream } from './upstreams.js';
import type { ProxyLogger } from './support.js';

/** The proxy-wide defaults a service's `Routes.timeouts` may override. */
export interface TimeoutDefaults {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  clientHeadersTimeoutMs: number;
}

/** What one service's requests obey, fixed when its routes are applied. */
export interface ServiceSettings {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly clientHeadersTimeoutMs: number;
  readonly retryToStable: boolean;
}

export function settingsFor(routes: Routes, d: TimeoutDefaults): ServiceSettings {
  const t = routes.timeouts;
  return {
    connectTimeoutMs: t?.connectMs ?? d.connectTimeoutMs,
    headersTimeoutMs: t?.headersMs ?? d.headersTimeoutMs,
    idleTimeoutMs: t?.idleMs ?? d.idleTimeoutMs,
    clientHeadersTimeoutMs: t?.clientHeadersMs ?? d.clientHeadersTimeoutMs,
    retryToStable: routes.retryToStable === true,
  };
}

/**
 * What the hot path needs of one carried service. The plane swaps `table` and
 * `settings` whole when routes change; a request reads them once, at its start.
 */
export interface ServiceScope {
  readonly name: string;
  table: RouteTable;
  settings: ServiceSettings;
  readonly counters: ServiceCounters;
  readonly outlier: OutlierPolicy;
  /** Clock for ejections (ms). */
  readonly now: () => number;
  readonly log: ProxyLogger;
}

/** The counters of `role` in `scope` (a tiny helper that keeps call sites short). */
export function countersOf(scope: ServiceScope, role: 'stable' | 'canary'): RoleCounters {
  return role === 'stable' ? scope.counters.stable : scope.counters.canary;
}

/** `upstream`, an instance of `role`, failed a request: counts it toward ejecting the instance, and says so when it does. */
export function reportUnwell(scope: ServiceScope, upstream: Upstream, counters: RoleCounters, role: 'stable' | 'canary'): void {
  if (!upstream.health.failure(scope.now(), scope.outlier)) return;
  counters.ejections++;
  scope.log.warn(
    { service: scope.name, version: role, upstream: upstream.origin, until: new Date(upstream.health.ejectedUntil).toISOString() },
    'proxy ejected a failing upstream instance',
  );
}
