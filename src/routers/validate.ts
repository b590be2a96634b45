import { isDeepStrictEqual } from 'node:util';
import type { Routes } from './router.js';
import { RouterError } from './errors.js';
import { validateRouteOptions } from './route-options.js';
import { validateRouting } from './routing.js';

/** A parsed `listen` address. `host` is '' for "all interfaces". */
export interface ListenAddress {
  host: string;
  port: number;
}

function invalid(service: string, what: string): RouterError {
  return new RouterError('SLUICE_ROUTES_INVALID', `routes for service "${service}": ${what}`);
}

/**
 * Parses "host:port", ":port" or "[ipv6]:port". Returns an error message
 * instead of throwing so callers can say which service it belongs to.
 */
export function parseListen(listen: string): ListenAddress | string {
  if (typeof listen !== 'string') return 'listen must be a "host:port" string';
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(listen);
  if (!m) return `listen must look like "127.0.0.1:8080", ":8080" or "[::1]:8080", got ${JSON.stringify(listen)}`;
  const port = Number(m[3]);
  if (port > 65535) return `listen port must be 0–65535, got ${port}`;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Checks one upstream base URL; returns its origin or an error message. */
function checkUpstream(url: unknown): string | { origin: string } {
  if (typeof url !== 'string') return `upstream ${JSON.stringify(url)} must be a URL string`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `upstream ${JSON.stringify(url)} is not a URL; write it as http://host:port`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `upstream ${url} must use http:// or https://`;
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash || parsed.username) {
    return `upstream ${url} must be a base URL (scheme, host and port only), e.g. ${parsed.origin}`;
  }
  return { origin: parsed.origin };
}

/**
 * Throws SLUICE_ROUTES_INVALID unless `routes` can be carried by a data plane:
 * a parseable listen address, at least one stable upstream, http(s) base URLs,
 * and a canary weight from 0 to 100.
 */
export function validateRoutes(service: string, routes: Routes): void {
  if (typeof service !== 'string' || service.length === 0) {
    throw new RouterError('SLUICE_ROUTES_INVALID', 'service name must be a non-empty string');
  }
  if (routes === null || typeof routes !== 'object') throw invalid(service, 'routes must be an object');
  const listen = parseListen(routes.listen);
  if (typeof listen === 'string') throw invalid(service, listen);
  const w = routes.canaryWeight;
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100) {
    throw invalid(service, `canaryWeight must be a number from 0 to 100, got ${JSON.stringify(w)}`);
  }
  for (const role of ['stable', 'canary'] as const) {
    const list: unknown = routes[role];
    if (!Array.isArray(list)) throw invalid(service, `${role} must be a list of upstream URLs`);
    for (const url of list) {
      const r = checkUpstream(url);
      if (typeof r === 'string') throw invalid(service, `${role}: ${r}`);
    }
  }
  if (routes.stable.length === 0) throw invalid(service, 'stable needs at least one upstream URL');
  validateRouteOptions(service, routes);
  validateRouting(service, routes);
}

/**
 * A deep copy of routes, so callers can't mutate what a router carries. Routes
 * are plain data; every field is kept, including optional ones added later.
 */
export function copyRoutes(routes: Routes): Routes {
  return structuredClone(routes);
}

/** True when two routes carry exactly the same split and settings. */
export function sameRoutes(a: Routes, b: Routes): boolean {
  return (
    a.listen === b.listen &&
    a.canaryWeight === b.canaryWeight &&
    sameList(a.stable, b.stable) &&
    sameList(a.canary, b.canary) &&
    isDeepStrictEqual(a, b)
  );
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
