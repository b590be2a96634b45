import type { SseEvent } from './sse-parser.js';
import type { FlagStreamEvent, FlagSummary, LiveView, MetricsEvent, RolloutView, StoredEvent } from './types.js';

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
  | { kind: 'decision'; name: string; event: StoredEvent }
  /** Flags changed: one environment's `keys` (a streamed change, `by` its actor), or everything (a load). */
  | { kind: 'flags'; environment?: string; keys?: string[]; by?: string };

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
  /** Every flag, by environment then key, as `GET /flags` lists them. */
  readonly flags = new Map<string, Map<string, FlagSummary>>();
  /** Whether a load of the flags has completed (before that, the list is not known to be empty). */
  flagsLoaded = false;
  /** Why the last load of the flags failed, until one succeeds. */
  flagsError: string | undefined;
  private readonly listeners = new Set<(c: ModelChange) => void>();
  /** The load in flight, and the flags the stream changed meanwhile (newer than what the load may return). */
  private flagLoad = 0;
  private loading = false;
  private readonly touched = new Set<string>();

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
      case 'flag':
        return this.applyFlagChange(data as FlagStreamEvent);
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

  /** The environments that have flags, sorted. */
  environments(): string[] {
    return [...this.flags.keys()].filter((e) => this.flags.get(e)!.size > 0).sort();
  }

  /**
   * Starts a load of every flag (`GET /flags`), e.g. each time the stream
   * (re)connects: flag changes are not replayed. Returns the load's token.
   */
  beginFlagLoad(): number {
    this.touched.clear();
    this.loading = true;
    return ++this.flagLoad;
  }

  /**
   * Replaces the flags with a load's answer, except those the stream changed
   * since the load began (the stream is newer). A superseded load is ignored.
   */
  finishFlagLoad(token: number, flags: readonly FlagSummary[]): void {
    if (token !== this.flagLoad || !this.loading) return;
    const loaded = new Map<string, FlagSummary>(flags.map((f) => [id(f.environment, f.key), f]));
    for (const [environment, byKey] of this.flags) {
      for (const key of byKey.keys()) if (!loaded.has(id(environment, key)) && !this.touched.has(id(environment, key))) byKey.delete(key);
    }
    for (const [k, f] of loaded) if (!this.touched.has(k)) this.flagsOf(f.environment).set(f.key, f);
    this.touched.clear();
    this.loading = false;
    this.flagsLoaded = true;
    this.flagsError = undefined;
    this.emit({ kind: 'flags' });
  }

  /** A load failed: say so (the flags known so far stay). */
  failFlagLoad(token: number, message: string): void {
    if (token !== this.flagLoad || !this.loading) return;
    this.loading = false;
    this.flagsError = message;
    this.emit({ kind: 'flags' });
  }

  private applyFlagChange(e: FlagStreamEvent): void {
    const byKey = this.flagsOf(e.environment);
    for (const f of e.flags) {
      byKey.set(f.key, f);
      // The list shows when each flag's set last changed: its other flags changed set too.
      for (const [key, other] of byKey) if (other.flagSet === f.flagSet && other.updatedAt < f.updatedAt) byKey.set(key, { ...other, updatedAt: f.updatedAt, updatedBy: f.updatedBy });
    }
    for (const key of e.removed) byKey.delete(key);
    const keys = [...e.flags.map((f) => f.key), ...e.removed];
    if (this.loading) for (const key of keys) this.touched.add(id(e.environment, key));
    this.emit({ kind: 'flags', environment: e.environment, keys, by: e.actor });
  }

  private flagsOf(environment: string): Map<string, FlagSummary> {
    let byKey = this.flags.get(environment);
    if (!byKey) this.flags.set(environment, (byKey = new Map()));
    return byKey;
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

function id(environment: string, key: string): string {
  return `${environment}\n${key}`;
}
