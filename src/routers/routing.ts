import type { Routes } from './router.js';
import type { RolloutSpec } from '../spec/types.js';
import { RouterError } from './errors.js';
import { linearRegexProblem } from './linear-regex.js';

/*
 * The optional routing of `Routes` beyond the weighted split: sticky
 * assignment, A/B match rules and mirroring. Plain data — persisted with the
 * rollout and compared with isDeepStrictEqual after a data plane echoes it —
 * validated here for every router. Names of headers are lowercase.
 */

/** How a value is compared: exactly one key. Regexes run on V8's linear-time engine (linear-regex.ts). */
export type StringMatch = { exact: string } | { prefix: string } | { regex: string };

/**
 * One A/B rule: every condition in it must hold. A request that satisfies any
 * rule goes to the canary whatever the weight (Flagger's `match`).
 */
export interface MatchRule {
  /** Request header (lowercase name) → condition; several values of one header are joined by ", ". */
  headers?: Record<string, StringMatch>;
  /** Cookie name → condition on its value. */
  cookies?: Record<string, StringMatch>;
  /** Query parameter → condition on its first value, percent-decoded. */
  query?: Record<string, StringMatch>;
}

/** A cookie the data plane sets on requests that carry no key, holding a random key. */
export interface AnonymousCookie {
  name: string;
  /** Lifetime in milliseconds (sent as Max-Age in seconds). */
  maxAge: number;
}

/**
 * Sticky assignment: a request's version comes from a stable hash of its key
 * against the weight, so raising the weight only moves users stable → canary.
 * The key is the `header` or `cookie` (at most one of them), else the
 * anonymous cookie's value; with neither, a request is split at random.
 */
export interface Stickiness {
  header?: string;
  cookie?: string;
  anonymousCookie?: AnonymousCookie;
}

/** Copy `percent` of the requests answered by stable to the canary; its answers are discarded. */
export interface MirrorSettings {
  percent: number;
}

export type RoutingOptions = Pick<Routes, 'stickiness' | 'match' | 'mirror'>;

/** Longest list of match rules a service may carry (each is tried on every request). */
export const MAX_MATCH_RULES = 64;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LOWER_TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const MAX_VALUE_LENGTH = 4096;
const SOURCES = ['headers', 'cookies', 'query'] as const;

/**
 * The routing a rollout's spec asks for, ready to spread into `Routes`. Keys
 * the spec leaves out are absent (not undefined), so routes read back from a
 * data plane compare equal to the ones persisted.
 */
export function routingOf(spec: RolloutSpec): RoutingOptions {
  const out: RoutingOptions = {};
  if (spec.service.stickiness) out.stickiness = structuredClone(spec.service.stickiness);
  if (spec.match && spec.match.length > 0) out.match = structuredClone(spec.match);
  if (spec.mirror && spec.mirror.percent > 0) out.mirror = { percent: spec.mirror.percent };
  return out;
}

/** Whether these routes send the canary any request: by weight, by a match rule, as a mirror, or on a preview listener. */
export function canaryExercised(routes: Routes): boolean {
  if (routes.canary.length === 0) return false;
  return routes.canaryWeight > 0 || (routes.match?.length ?? 0) > 0 || (routes.mirror?.percent ?? 0) > 0 || routes.preview !== undefined;
}

/** Undefined when `m` is a valid condition; otherwise what is wrong. */
export function stringMatchProblem(m: unknown): string | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'must be {exact: …}, {prefix: …} or {regex: …}';
  const keys = Object.keys(m);
  if (keys.length !== 1 || !['exact', 'prefix', 'regex'].includes(keys[0])) {
    return `must have exactly one of exact, prefix or regex, got ${keys.length === 0 ? 'none' : keys.join(', ')}`;
  }
  const v: unknown = (m as Record<string, unknown>)[keys[0]];
  if (typeof v !== 'string') return `${keys[0]} must be a string, got ${JSON.stringify(v)}`;
  if (v.length > MAX_VALUE_LENGTH) return `${keys[0]} must be at most ${MAX_VALUE_LENGTH} characters long`;
  if (keys[0] === 'regex') {
    const problem = linearRegexProblem(v);
    if (problem) return `regex ${problem}`;
  }
  return undefined;
}

function ruleProblem(rule: unknown): string | undefined {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return 'must be an object with headers, cookies and/or query';
  const r = rule as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!(SOURCES as readonly string[]).includes(key)) return `has unknown field ${key}; use headers, cookies or query`;
  }
  let conditions = 0;
  for (const source of SOURCES) {
    const map = r[source];
    if (map === undefined) continue;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return `${source} must map names to conditions`;
    for (const [name, cond] of Object.entries(map)) {
      const pattern = source === 'headers' ? LOWER_TOKEN : source === 'cookies' ? TOKEN : /^.{1,256}$/s;
      if (!pattern.test(name)) return `${source}: ${JSON.stringify(name)} is not a valid ${source === 'headers' ? 'lowercase header' : source === 'cookies' ? 'cookie' : 'query parameter'} name`;
      const problem = stringMatchProblem(cond);
      if (problem) return `${source}.${name} ${problem}`;
      conditions++;
    }
  }
  return conditions === 0 ? 'needs at least one condition' : undefined;
}

function stickinessProblem(s: unknown): string | undefined {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return 'stickiness must be an object';
  const { header, cookie, anonymousCookie } = s as Record<string, unknown>;
  if (header !== undefined && cookie !== undefined) return 'stickiness takes a header or a cookie as the key, not both';
  if (header === undefined && cookie === undefined && anonymousCookie === undefined) return 'stickiness needs a header, a cookie or an anonymousCookie';
  if (header !== undefined && (typeof header !== 'string' || !LOWER_TOKEN.test(header))) return `stickiness.header must be a lowercase header name, got ${JSON.stringify(header)}`;
  if (cookie !== undefined && (typeof cookie !== 'string' || !TOKEN.test(cookie))) return `stickiness.cookie must be a cookie name, got ${JSON.stringify(cookie)}`;
  if (anonymousCookie !== undefined) {
    const a = anonymousCookie as Record<string, unknown> | null;
    if (a === null || typeof a !== 'object' || typeof a.name !== 'string' || !TOKEN.test(a.name)) return 'stickiness.anonymousCookie.name must be a cookie name';
    if (typeof a.maxAge !== 'number' || !Number.isInteger(a.maxAge) || a.maxAge < 1000) return 'stickiness.anonymousCookie.maxAge must be a whole number of milliseconds, at least 1000';
  }
  return undefined;
}

/** Returns what is wrong with the routing options of `routes`, or undefined when they are fine. */
export function routingProblem(routes: Routes): string | undefined {
  if (routes.stickiness !== undefined) {
    const problem = stickinessProblem(routes.stickiness);
    if (problem) return problem;
  }
  const match: unknown = routes.match;
  if (match !== undefined) {
    if (!Array.isArray(match)) return 'match must be a list of rules';
    if (match.length > MAX_MATCH_RULES) return `match may hold at most ${MAX_MATCH_RULES} rules, got ${match.length}`;
    for (let i = 0; i < match.length; i++) {
      const problem = ruleProblem(match[i]);
      if (problem) return `match[${i}] ${problem}`;
    }
  }
  const mirror: unknown = routes.mirror;
  if (mirror !== undefined) {
    const p = (mirror as Record<string, unknown> | null)?.percent;
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 100) return `mirror.percent must be a number above 0 and at most 100, got ${JSON.stringify(p)}`;
  }
  return undefined;
}

/** Throws SLUICE_ROUTES_INVALID when the routing options of `routes` are malformed. */
export function validateRouting(service: string, routes: Routes): void {
  const problem = routingProblem(routes);
  if (problem) throw new RouterError('SLUICE_ROUTES_INVALID', `routes for service "${service}": ${problem}`);
}
