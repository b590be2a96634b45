/**
 * The Rollout document after parsing, validation and defaulting.
 * Everything downstream (engine, controller, server) works on this shape;
 * only spec/ knows how YAML maps onto it.
 */

export const API_VERSION = 'sluice.dev/v1alpha1';

/** Durations are carried as milliseconds after parsing ("30s", "2m", "1h30m" in YAML). */
export type Millis = number;

export interface VersionSpec {
  /** Instance base URLs (http://host:port), balanced round-robin. At least one. */
  upstreams: string[];
}

export interface ServiceSpec {
  /** host:port the embedded proxy listens on for this service. */
  listen: string;
  stable: VersionSpec;
  canary: VersionSpec;
}

/** One explicit canary step. Exactly one key is set. */
export type CanaryStep =
  | { setWeight: number }
  /** duration omitted: a manual gate, waits for `sluice promote`. */
  | { pause: { duration?: Millis } }
  /** Wait until `checks` analysis checks in a row have passed at the current weight. */
  | { analysis: { checks: number } };

export type BuiltinMetricName = 'success-rate' | 'latency-p50' | 'latency-p95' | 'latency-p99';

export interface MetricCheckSpec {
  name: BuiltinMetricName;
  /** success-rate in percent (0–100); latency in milliseconds. */
  min?: number;
  max?: number;
}

export interface AnalysisSpec {
  /** How often a check runs over the window since the previous check. */
  interval: Millis;
  /** Failed checks tolerated; one more rolls back (Argo/Flagger semantics: > limit fails). */
  failureLimit: number;
  /** Inconclusive checks in a row tolerated before `onInconclusive` applies. */
  inconclusiveLimit: number;
  /** Canary requests needed in a check window for it to count; fewer is inconclusive, never a pass. */
  minRequests: number;
  metrics: MetricCheckSpec[];
}

export interface RolloutSpec {
  service: ServiceSpec;
  /** Always explicit steps after normalisation; the Flagger shorthand is expanded by spec/. */
  steps: CanaryStep[];
  /** Absent: no analysis, steps advance on time and gates alone. */
  analysis?: AnalysisSpec;
  onFailure: 'rollback';
  onInconclusive: 'pause' | 'rollback';
}

export interface Rollout {
  apiVersion: typeof API_VERSION;
  kind: 'Rollout';
  metadata: { name: string; labels?: Record<string, string> };
  spec: RolloutSpec;
}
