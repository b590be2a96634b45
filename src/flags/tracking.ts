import type { VersionCounters } from '../proxy/counters.js';
import { Histogram } from '../proxy/histogram.js';
import type { VariantOutcomes } from './tracking-types.js';

interface Totals {
  requests: number;
  errors: number;
  latency: Histogram;
}

/**
 * Outcomes that applications report per flag variant (POST /sdk/v1/track),
 * summed into cumulative counters per environment, flag and variant since
 * this server started — the same shape as the proxy's per-version counters,
 * so windows and judge batches are taken by subtraction exactly as for traffic.
 */
export class TrackingAggregator {
  readonly #totals = new Map<string, Map<string, Totals>>();
  readonly #now: () => number;

  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
  }

  get now(): number {
    return this.#now();
  }

  add(environment: string, outcome: VariantOutcomes): void {
    const id = `${environment}\u0000${outcome.flag}`;
    let variants = this.#totals.get(id);
    if (!variants) this.#totals.set(id, (variants = new Map()));
    let t = variants.get(outcome.variant);
    if (!t) variants.set(outcome.variant, (t = { requests: 0, errors: 0, latency: new Histogram() }));
    t.requests += outcome.requests;
    t.errors += outcome.errors;
    if (outcome.latency) t.latency.merge(Histogram.fromData(outcome.latency));
  }

  /** Counters of one variant against the sum of all others (undefined: nothing reported for the flag yet). */
  split(environment: string, flag: string, variant: string): { variant: VersionCounters; rest: VersionCounters } | undefined {
    const variants = this.#totals.get(`${environment}\u0000${flag}`);
    if (!variants) return undefined;
    const rest: Totals = { requests: 0, errors: 0, latency: new Histogram() };
    let mine: Totals = { requests: 0, errors: 0, latency: new Histogram() };
    for (const [name, t] of variants) {
      if (name === variant) mine = t;
      else {
        rest.requests += t.requests;
        rest.errors += t.errors;
        rest.latency.merge(t.latency);
      }
    }
    return { variant: counters(mine), rest: counters(rest) };
  }

  /** Per-variant totals of one flag, for status displays. */
  variants(environment: string, flag: string): Record<string, { requests: number; errors: number }> {
    const out: Record<string, { requests: number; errors: number }> = {};
    for (const [name, t] of this.#totals.get(`${environment}\u0000${flag}`) ?? []) out[name] = { requests: t.requests, errors: t.errors };
    return out;
  }
}

function counters(t: Totals): VersionCounters {
  return { requests: t.requests, status5xx: t.errors, proxyErrors: 0, errors: t.errors, latency: t.latency.toData() };
}
