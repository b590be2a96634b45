import type { JudgeBatch, RolloutState } from '../engine/types.js';
import type { CounterSource } from '../metrics/builtin.js';
import type { ServiceSnapshot, VersionCounters } from '../proxy/counters.js';
import { bucketIndex, Histogram } from '../proxy/histogram.js';

interface Cursor {
  /** Which start of which revision the cursor belongs to. */
  key: string;
  /** Counters at the end of the previous batch. */
  at: ServiceSnapshot;
  /** Counters when this start began (for learning the slow threshold). */
  start: ServiceSnapshot;
}

/**
 * Cuts the proxy's cumulative counters into batches for the sequential judge.
 * Each batch lies at one traffic split: `reset` is called whenever the routes
 * change, and the next batch starts there. Cursors live in memory; after a
 * restart batching starts afresh, losing only the traffic in between.
 */
export class JudgeFeed {
  private readonly cursors = new Map<string, Cursor>();

  constructor(private readonly source: CounterSource) {}

  /** The routes of `service` just changed: the next batch starts now. */
  reset(service: string): void {
    const cursor = this.cursors.get(service);
    const now = this.source.snapshot(service);
    if (cursor && now) cursor.at = now;
  }

  forget(service: string): void {
    this.cursors.delete(service);
  }

  /** Counts since the previous batch, or undefined when there is nothing new. */
  next(state: RolloutState): JudgeBatch | undefined {
    const snap = this.source.snapshot(state.name);
    if (!snap) return undefined;
    const key = `${state.revision}@${state.startedAt}`;
    const cursor = this.cursors.get(state.name);
    if (!cursor || cursor.key !== key) {
      this.cursors.set(state.name, { key, at: snap, start: snap });
      return undefined;
    }
    const canary = delta(snap.canary, cursor.at.canary);
    const stable = delta(snap.stable, cursor.at.stable);
    if (canary.requests === 0 && stable.requests === 0) return undefined;
    // An error is counted when its response starts, the request when it ends: a batch cut
    // in between holds more errors than requests. Wait for the next tick, which includes both.
    if (canary.errors > canary.requests || stable.errors > stable.requests) return undefined;
    cursor.at = snap;
    const batch: JudgeBatch = {
      canaryRequests: canary.requests,
      canaryErrors: canary.errors,
      stableRequests: stable.requests,
      stableErrors: stable.errors,
    };
    const latency = state.judge?.latency;
    if (!latency) return batch;
    if (latency.thresholdMs !== undefined) {
      const limit = bucketIndex(latency.thresholdMs);
      batch.canarySlow = slowerThan(canary.latency, limit);
      batch.stableSlow = slowerThan(stable.latency, limit);
    } else {
      const learned = delta(snap.stable, cursor.start.stable).latency;
      batch.stableSamples = learned.count;
      if (learned.count > 0) batch.stableQuantileMs = learned.quantile(latency.quantile);
    }
    return batch;
  }
}

function delta(end: VersionCounters, start: VersionCounters): { requests: number; errors: number; latency: Histogram } {
  const latency = Histogram.fromData(end.latency);
  try {
    latency.subtract(Histogram.fromData(start.latency));
  } catch {
    // Counters went backwards (a restarted proxy): treat everything as new.
  }
  return { requests: Math.max(0, end.requests - start.requests), errors: Math.max(0, end.errors - start.errors), latency };
}

/** Requests in the histogram above the bucket holding the threshold. */
function slowerThan(h: Histogram, limitBucket: number): number {
  const [atOrBelow] = h.cumulativeCounts([limitBucket]);
  return Math.max(0, h.count - (atOrBelow ?? 0));
}
