import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Routes } from '../routers/router.js';
import type { Role } from './counters.js';
import type { RouteChoice } from './choice.js';
import { compileChoice, pickRole } from './choice.js';
import type { Upstream, UpstreamPools } from './upstreams.js';
import { sameList } from '../routers/validate.js';

/** The instances of one version, served round-robin. */
export interface Ring {
  readonly urls: readonly string[];
  /** The connect timeout its pools were made with (undefined: the proxy's default). */
  readonly connectMs: number | undefined;
  readonly upstreams: readonly Upstream[];
  /** Index of the next instance; mutated by the hot path. */
  cursor: number;
}

/**
 * What one service's listener routes by. Immutable apart from ring cursors and
 * swapped whole, so a request sees either the old split or the new one.
 */
export interface RouteTable {
  /** The routes as applied (a private copy). */
  readonly routes: Routes;
  readonly stable: Ring;
  readonly canary: Ring;
  /** How a request picks its version (A/B rules, sticky or random weight, mirroring), compiled once. */
  readonly choice: RouteChoice;
  /** Every instance speaks plain HTTP, so the fast lane can carry the service's simple requests. */
  readonly fastLane: boolean;
}

/**
 * Picks the version for one request (choice.ts): an A/B rule match sends it to
 * canary, else the weight decides — by the request's key on a sticky service
 * (a fresh anonymous key sets its cookie on `res`), at random otherwise.
 * Never canary when canary has no instances.
 */
export function chooseRole(
  table: RouteTable,
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  res: Pick<ServerResponse, 'appendHeader'> | undefined,
  random: () => number,
  secure = false,
): Role {
  return pickRole(table.choice, table.canary.upstreams.length > 0, req, res, random, secure);
}

/**
 * The next instance of a version, round-robin, skipping instances ejected for
 * failing (outlier detection) unless every instance is ejected: a version is
 * never left with nowhere to send a request.
 */
export function nextUpstream(ring: Ring, now: () => number): Upstream {
  const list = ring.upstreams;
  const n = list.length;
  const first = ring.cursor;
  ring.cursor = first + 1 === n ? 0 : first + 1;
  if (list[first].health.ejectedUntil === 0) return list[first];
  const t = now();
  for (let k = 0, i = first; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
    if (list[i].health.available(t)) {
      ring.cursor = i + 1 === n ? 0 : i + 1;
      return list[i];
    }
  }
  return list[first];
}

function buildRing(urls: readonly string[], connectMs: number | undefined, previous: Ring | undefined, pools: UpstreamPools): Ring {
  if (previous && previous.connectMs === connectMs && sameList(previous.urls, urls)) return previous;
  return { urls: [...urls], connectMs, upstreams: urls.map((u) => pools.acquire(u, connectMs)), cursor: 0 };
}

/**
 * A table for `routes` (already validated and copied), reusing the previous
 * table's rings where the instance lists are unchanged: a weight change then
 * allocates one small object and touches no pool.
 */
export function buildTable(service: string, routes: Routes, previous: RouteTable | undefined, pools: UpstreamPools): RouteTable {
  const stable = buildRing(routes.stable, routes.timeouts?.connectMs, previous?.stable, pools);
  const canary = buildRing(routes.canary, routes.timeouts?.connectMs, previous?.canary, pools);
  const plain = (ring: Ring) => ring.upstreams.every((u) => u.raw !== undefined);
  return { routes, stable, canary, choice: compileChoice(service, routes, previous), fastLane: plain(stable) && plain(canary) };
}

/** Releases the pools of `old`'s rings that `next` no longer uses (all of them when `next` is undefined). */
export function releaseTable(old: RouteTable, next: RouteTable | undefined, pools: UpstreamPools): void {
  for (const ring of [old.stable, old.canary]) {
    if (next && (ring === next.stable || ring === next.canary)) continue;
    for (const u of ring.upstreams) pools.release(u);
  }
}
