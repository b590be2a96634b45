import type { ServiceSpec } from '../spec/types.js';
import { RouterError } from './errors.js';
import type { RouteTimeouts, Routes } from './router.js';

/** The optional per-service data-plane settings of `Routes`, as the spec's service section states them. */
export type RouteOptions = Pick<Routes, 'timeouts' | 'tls' | 'retryToStable'>;

/**
 * The data-plane settings a rollout's `spec.service` asks for, ready to spread
 * into `Routes`. Keys the spec leaves out are absent (not undefined), so routes
 * read back from a data plane compare equal to the ones persisted.
 */
export function routeOptionsOf(service: ServiceSpec): RouteOptions {
  const out: RouteOptions = {};
  const t = service.timeouts;
  if (t) {
    const timeouts: RouteTimeouts = {};
    if (t.connect !== undefined) timeouts.connectMs = t.connect;
    if (t.headers !== undefined) timeouts.headersMs = t.headers;
    if (t.idle !== undefined) timeouts.idleMs = t.idle;
    if (t.clientHeaders !== undefined) timeouts.clientHeadersMs = t.clientHeaders;
    if (Object.keys(timeouts).length > 0) out.timeouts = timeouts;
  }
  if (service.tls) out.tls = { certFile: service.tls.certFile, keyFile: service.tls.keyFile };
  if (service.retryToStable !== undefined) out.retryToStable = service.retryToStable;
  return out;
}

const TIMEOUT_KEYS: ReadonlyArray<keyof RouteTimeouts> = ['connectMs', 'headersMs', 'idleMs', 'clientHeadersMs'];
/** setTimeout's ceiling (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Returns what is wrong with the optional settings of `routes`, or undefined when they are fine. */
export function routeOptionsProblem(routes: Routes): string | undefined {
  const t: unknown = routes.timeouts;
  if (t !== undefined) {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return 'timeouts must be an object of millisecond values';
    for (const key of Object.keys(t)) {
      if (!(TIMEOUT_KEYS as readonly string[]).includes(key)) return `timeouts.${key} is not a known timeout; use ${TIMEOUT_KEYS.join(', ')}`;
      const v = (t as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > MAX_TIMEOUT_MS) {
        return `timeouts.${key} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(v)}`;
      }
    }
  }
  const tls: unknown = routes.tls;
  if (tls !== undefined) {
    const f = tls as Record<string, unknown> | null;
    if (f === null || typeof f !== 'object' || typeof f.certFile !== 'string' || typeof f.keyFile !== 'string' || !f.certFile || !f.keyFile) {
      return 'tls must be {certFile, keyFile} with the paths of a PEM certificate and its private key';
    }
  }
  if (routes.retryToStable !== undefined && typeof routes.retryToStable !== 'boolean') {
    return `retryToStable must be true or false, got ${JSON.stringify(routes.retryToStable)}`;
  }
  return undefined;
}

/** Throws SLUICE_ROUTES_INVALID when the optional settings of `routes` are malformed. */
export function validateRouteOptions(service: string, routes: Routes): void {
  const problem = routeOptionsProblem(routes);
  if (problem) throw new RouterError('SLUICE_ROUTES_INVALID', `routes for service "${service}": ${problem}`);
}
