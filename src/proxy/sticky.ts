import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Stickiness } from '../routers/routing.js';
import { BUCKETS, bucketOfHash, hashWithPrefix, saltPrefix } from '../flags/bucketing.js';
import { cookieValue } from './cookies.js';

/*
 * Sticky assignment. A request's key (a header, a cookie, or the anonymous
 * cookie the proxy set earlier) is bucketed exactly as feature flags bucket a
 * user (flags/bucketing.ts), salted with the service name so one user is not
 * in every service's canary at once:
 *
 *   bytes  = UTF-8(service) ‖ ":" ‖ UTF-8(key)
 *   hash   = MurmurHash3_x86_32(bytes, seed 0)
 *   bucket = floor(hash × 100000 / 2^32)                    (0 … 99 999)
 *   canary ⇔ bucket < round(weight × 1000)                  (weight 0–100)
 *
 * The bucket never changes and the bound only grows with the weight, so
 * raising the weight moves users from stable to canary and never back.
 * Test vectors: docs/flags-bucketing-vectors.json (salt = service name).
 */

/** What the hot path needs to assign one service's requests by key. */
export interface StickyPlan {
  /** UTF-8 of "service:", hashed before every key. */
  readonly prefix: Uint8Array;
  readonly header: string | undefined;
  readonly cookie: string | undefined;
  /** Cookie given to requests without a key, and the attributes it is set with. */
  readonly anonymous: { readonly name: string; readonly attributes: string } | undefined;
}

export function stickyPlan(service: string, s: Stickiness): StickyPlan {
  const a = s.anonymousCookie;
  return {
    prefix: saltPrefix(service),
    header: s.header,
    cookie: s.cookie,
    anonymous: a ? { name: a.name, attributes: `; Path=/; Max-Age=${Math.max(1, Math.floor(a.maxAge / 1000))}; HttpOnly; SameSite=Lax` } : undefined,
  };
}

/** The bucket (0 … 99 999) of `key` in the service whose plan this is. */
export function stickyBucket(plan: StickyPlan, key: string): number {
  return bucketOfHash(hashWithPrefix(plan.prefix, key));
}

/** Whether a bucket is in the canary at `weight` percent: monotone in the weight. */
export function bucketInCanary(bucket: number, weight: number): boolean {
  return bucket < Math.round(weight * (BUCKETS / 100));
}

/** The request's key: the configured header or cookie, else the anonymous cookie; undefined when it has none. */
export function requestKey(plan: StickyPlan, headers: IncomingHttpHeaders): string | undefined {
  if (plan.header !== undefined) {
    const v = headers[plan.header];
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined && value !== '') return value;
  }
  const cookies = headers.cookie;
  if (cookies === undefined) return undefined;
  if (plan.cookie !== undefined) {
    const v = cookieValue(cookies, plan.cookie);
    if (v !== undefined && v !== '') return v;
  }
  if (plan.anonymous !== undefined) {
    const v = cookieValue(cookies, plan.anonymous.name);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** A fresh random key for an anonymous request, and the Set-Cookie value that keeps it. */
export function anonymousKey(plan: StickyPlan & { anonymous: NonNullable<StickyPlan['anonymous']> }, secure: boolean): { key: string; setCookie: string } {
  const key = randomUUID();
  return { key, setCookie: `${plan.anonymous.name}=${key}${plan.anonymous.attributes}${secure ? '; Secure' : ''}` };
}
