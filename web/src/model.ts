import type { SseEvent } from './sse-parser.js';
import type { LiveView, MetricsEvent, RolloutView, StoredEvent } from './types.js';

/** One second of a rollout's live traffic, as the `metrics` events carry it. */
export interface MetricPoint {
  /** ms since the epoch */
  t: number;
  live: LiveView | null;
}

export type ModelChange =
  | { kind: 'rollout'; name: string }
  | { kind: 'gone'; name: string }
  | { kind: 'metrics'; name: string }
  | { kind: 'decision'; name: string; event: StoredEvent };

/** How much live traffic is kept per rollout for the charts. */
export const SERIES_MS = 10 * 60_000;

/**
 * What the dashboard knows, kept current by the event stream: every rollout's
 * latest view, each rollout's recent metrics, and the decisions seen live.
 */
export class Model {
  readonly rollouts = new Map<string, RolloutView>();
  readonly series = new Map<string, MetricPoint[]>();
  /** Decisions that arrived on the stream, by rollout, oldest first. */
  readonly decisions = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<(c: ModelChange) => void>();

  subscribe(fn: (c: ModelChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Applies one stream event; unknown event types are ignored (newer servers may add some). */
  receive(ev: SseEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    switch (ev.event) {
      case 'state':
        return this.setRollout(data as RolloutView);
      case 'metrics':
        return this.addMetrics(data as MetricsEvent);
      case 'decision':
        return this.addDecision(data as StoredEvent);
      case 'gone': {
        const name = (data as { rollout: string }).rollout;
        this.rollouts.delete(name);
        this.series.delete(name);
        return this.emit({ kind: 'gone', name });
      }
    }
  }

  /** A rollout view from the stream or from a command's answer. */
  setRollout(view: RolloutView): void {
    const known = this.rollouts.get(view.name);
    // A command's answer may arrive after a newer streamed state: keep the newest.
    if (known && Date.parse(known.updatedAt) > Date.parse(view.updatedAt)) return;
    this.rollouts.set(view.name, view);
    this.emit({ kind: 'rollout', name: view.name });
  }

  private addMetrics(m: MetricsEvent): void {
    const t = Date.parse(m.time);
    const points = this.series.get(m.rollout) ?? [];
    points.push({ t, live: m.live });
    while (points.length && points[0]!.t < t - SERIES_MS) points.shift();
    this.series.set(m.rollout, points);
    const view = this.rollouts.get(m.rollout);
    if (view && m.live) view.live = m.live;
    this.emit({ kind: 'metrics', name: m.rollout });
  }

  private addDecision(e: StoredEvent): void {
    const list = this.decisions.get(e.rollout) ?? [];
    if (list.some((x) => x.seq === e.seq)) return;
    list.push(e);
    this.decisions.set(e.rollout, list);
    this.emit({ kind: 'decision', name: e.rollout, event: e });
  }

  private emit(c: ModelChange): void {
    for (const fn of this.listeners) fn(c);
  }
}
