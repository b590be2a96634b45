import { isDeepStrictEqual } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Routes } from '../routers/router.js';
import type { Role } from './counters.js';
import type { RequestMatcher } from './match.js';
import { compileMatch } from './match.js';
import type { StickyPlan } from './sticky.js';
import { anonymousKey, bucketInCanary, requestKey, stickyBucket, stickyPlan } from './sticky.js';

/**
 * How one service picks a version for a request, compiled from its routes
 * when they are applied (never per request): A/B rules first, then the
 * weight — by a hash of the request's key when the service is sticky, at
 * random otherwise — and whether stable's requests are mirrored.
 */
export interface RouteChoice {
  readonly weight: number;
  readonly matches: RequestMatcher | undefined;
  readonly sticky: StickyPlan | undefined;
  /** Percent of stable's requests copied to the canary; 0 for none. */
  readonly mirrorPercent: number;
}

/**
 * The choice for `routes` of `service`. Compiled rules and the sticky plan of
 * `previous` are reused when unchanged, so a weight change (up to 100 a second
 * under load) compiles nothing.
 */
export function compileChoice(service: string, routes: Routes, previous?: { routes: Routes; choice: RouteChoice }): RouteChoice {
  const sameMatch = previous !== undefined && isDeepStrictEqual(previous.routes.match, routes.match);
  const sameSticky = previous !== undefined && isDeepStrictEqual(previous.routes.stickiness, routes.stickiness);
  return {
    weight: routes.canaryWeight,
    matches: sameMatch ? previous.choice.matches : compileMatch(routes.match),
    sticky: sameSticky ? previous.choice.sticky : routes.stickiness ? stickyPlan(service, routes.stickiness) : undefined,
    mirrorPercent: routes.canary.length > 0 ? (routes.mirror?.percent ?? 0) : 0,
  };
}

/**
 * Picks the version for one request. Never canary when it has no instances.
 * A request matching an A/B rule goes to canary whatever the weight. Else,
 * at weights strictly between 0 and 100, a sticky service assigns by the
 * request's key; a request without one gets a fresh anonymous key and the
 * cookie that keeps it (on `res`, when the service sets one), or a random
 * draw when there is no way to remember it.
 */
export function pickRole(
  choice: RouteChoice,
  hasCanary: boolean,
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  res: Pick<ServerResponse, 'appendHeader'> | undefined,
  random: () => number,
  secure = false,
): Role {
  if (!hasCanary) return 'stable';
  if (choice.matches !== undefined && choice.matches(req)) return 'canary';
  const w = choice.weight;
  if (w <= 0) return 'stable';
  if (w >= 100) return 'canary';
  const sticky = choice.sticky;
  if (sticky !== undefined) {
    let key = requestKey(sticky, req.headers);
    if (key === undefined && sticky.anonymous !== undefined && res !== undefined) {
      const fresh = anonymousKey(sticky as StickyPlan & { anonymous: NonNullable<StickyPlan['anonymous']> }, secure);
      res.appendHeader('set-cookie', fresh.setCookie);
      key = fresh.key;
    }
    if (key !== undefined) return bucketInCanary(stickyBucket(sticky, key), w) ? 'canary' : 'stable';
  }
  return random() * 100 < w ? 'canary' : 'stable';
}

/** Whether a request answered by stable is also copied to the canary (a draw against the mirror percent). */
export function drawMirror(choice: RouteChoice, role: Role, random: () => number): boolean {
  return role === 'stable' && choice.mirrorPercent > 0 && (choice.mirrorPercent >= 100 || random() * 100 < choice.mirrorPercent);
}
