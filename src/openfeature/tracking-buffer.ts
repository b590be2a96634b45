import { Histogram } from '../proxy/histogram.js';
import type { VariantOutcomes } from '../flags/tracking-types.js';

interface Entry {
  flag: string;
  variant: string;
  requests: number;
  errors: number;
  latency: Histogram | undefined;
}

/** Distinct flag variants held before new ones are dropped (the server is unreachable for long). */
const MAX_ENTRIES = 10_000;

/**
 * Outcomes recorded since the last send, summed per flag variant: recording
 * is a map lookup and a few additions, whatever the traffic, and a batch is
 * one small document however many users it covers.
 */
export class TrackingBuffer {
  #entries = new Map<string, Entry>();
  #events = 0;
  /** Outcomes dropped because the buffer was full. */
  dropped = 0;

  /** Events recorded since the last `take`. */
  get pending(): number {
    return this.#events;
  }

  record(flag: string, variant: string, error: boolean, latencyMs: number | undefined): void {
    const id = `${flag}\u0000${variant}`;
    let e = this.#entries.get(id);
    if (!e) {
      if (this.#entries.size >= MAX_ENTRIES) {
        this.dropped++;
        return;
      }
      e = { flag, variant, requests: 0, errors: 0, latency: undefined };
      this.#entries.set(id, e);
    }
    e.requests++;
    if (error) e.errors++;
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) (e.latency ??= new Histogram()).record(latencyMs);
    this.#events++;
  }

  /** Everything recorded so far, as a batch; the buffer starts empty again. */
  take(): VariantOutcomes[] {
    const out = [...this.#entries.values()].map((e): VariantOutcomes => ({
      flag: e.flag,
      variant: e.variant,
      requests: e.requests,
      errors: e.errors,
      ...(e.latency ? { latency: e.latency.toData() } : {}),
    }));
    this.#entries = new Map();
    this.#events = 0;
    return out;
  }

  /** Puts back a batch that could not be sent, merged with what arrived since. */
  restore(batch: readonly VariantOutcomes[]): void {
    for (const o of batch) {
      const id = `${o.flag}\u0000${o.variant}`;
      let e = this.#entries.get(id);
      if (!e) {
        if (this.#entries.size >= MAX_ENTRIES) {
          this.dropped += o.requests;
          continue;
        }
        e = { flag: o.flag, variant: o.variant, requests: 0, errors: 0, latency: undefined };
        this.#entries.set(id, e);
      }
      e.requests += o.requests;
      e.errors += o.errors;
      if (o.latency) (e.latency ??= new Histogram()).merge(Histogram.fromData(o.latency));
      this.#events += o.requests;
    }
  }
}
