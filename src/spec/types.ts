/**
 * The Rollout document after parsing, validation and defaulting.
 * Everything downstream (engine, controller, server) works on this shape;
 * only spec/ knows how YAML maps onto it.
 */

import type { BlueGreenSpec, HookSpec, NotificationSpec, PostPromotionSpec } from './lifecycle-types.js';
import type { MatchRule, MirrorSettings, Stickiness } from '../routers/routing.js';

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
  /** Embedded-proxy timeouts for this service; omitted ones take the proxy's defaults. */
  timeouts?: ServiceTimeouts;
  /** Terminate TLS on `listen` with this PEM certificate and key, reloaded when the files change. */
  tls?: { certFile: string; keyFile: string };
  /** Retry idempotent, bodiless requests on stable when a canary instance refused the connection. */
  retryToStable?: boolean;
  /** Sticky assignment by a key (header or cookie) hashed against the weight; absent: random split. */
  stickiness?: Stickiness;
}

export interface ServiceTimeouts {
  /** An upstream instance must accept a connection within this, else 504. */
  connect?: Millis;
  /** An upstream must send response headers within this, else 504. */
  headers?: Millis;
  /** Longest silence from either side while a request is in flight. */
  idle?: Millis;
  /** A client must send its complete request headers within this (slow clients are cut off). */
  clientHeaders?: Millis;
}

/** One explicit canary step. Exactly one key is set. */
export type CanaryStep =
  | { setWeight: number }
  /** duration omitted: a manual gate, waits for `sluice promote`. */
  | { pause: { duration?: Millis } }
  /** Wait until `checks` analysis checks have passed at the current weight with no failed check since (inconclusive ones neither count nor break the run). */
  | { analysis: { checks: number } };

export type BuiltinMetricName = OwnMetricName | `mirror-${OwnMetricName}`;
/** Metrics of the requests a version answered; `mirror-` ones read the canary's answers to mirrored copies (strategy.canary.mirror). */
type OwnMetricName = 'success-rate' | 'error-rate' | 'latency-p50' | 'latency-p95' | 'latency-p99';

/** Provider errors in a row tolerated on one metric when the spec does not say (Argo's default). */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

/**
 * Where a metric's values come from when not the proxy's own counts. Text
 * fields may hold `{{service}}`, `{{version}}`, `{{window}}` and `{{listen}}`.
 */
export type MetricSourceSpec =
  /** An instant PromQL query that yields one series or a scalar. */
  | { type: 'prometheus'; address: string; query: string; timeout: Millis }
  /** A GET of a JSON document; `jsonPath` (dot/bracket notation) picks the number. */
  | { type: 'http'; url: string; jsonPath: string; headers?: Record<string, string>; timeout: Millis };

export interface MetricCheckSpec {
  /** A BuiltinMetricName when `provider` is absent; any name otherwise. */
  name: string;
  /** Absent: a builtin metric, read from the embedded proxy's counts. */
  provider?: MetricSourceSpec;
  /** Absolute bounds on the canary's value: success/error-rate in percent (0–100), latency in milliseconds. */
  min?: number;
  max?: number;
  /** Relative bounds: the canary's value against stable's over the same window (canary ≥ minRatio × stable, ≤ maxRatio × stable). */
  minRatio?: number;
  maxRatio?: number;
  /** Evaluated and recorded, but never changes the rollout. */
  dryRun?: boolean;
}

/**
 * The sequential judge: canary against stable on the proxy's own counts,
 * evaluated continuously (every controller tick), valid at every look.
 */
export interface JudgeSpec {
  /** False-rollback rate of a canary no worse than stable, however often it is looked at. */
  alpha: number;
  /** Smallest relative increase worth acting on: 1 = twice stable's error rate. */
  minEffect: number;
  /** Relative increase still treated as "no worse" by the rollback side (below minEffect). */
  tolerance: number;
  /** Errors (either version) a step must have seen before the weight may grow. */
  minStepEvents: number;
  /** How long a step may run past its duration while evidence is lacking; then onInconclusive applies. */
  maxWait: Millis;
  /** Also compare latency: the share of requests slower than stable's quantile. Absent: errors only. */
  latency?: { quantile: number; warmupRequests: number };
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
  /** Provider errors in a row tolerated on one metric; one more rolls back. spec/ always sets it (default 4). */
  consecutiveErrorLimit?: number;
  /** The sequential judge; absent when the spec has no `judge` block. */
  judge?: JudgeSpec;
}

/**
 * A guarded flag rollout's target (spec.flag): the share of users served
 * `variant` is the "canary weight"; the users on it are judged against the rest.
 */
export interface FlagTargetSpec {
  environment: string;
  key: string;
  /** The variant being rolled out (default "on"). */
  variant: string;
  /** When given, the flag must belong to this FlagSet. */
  flagSet?: string;
}

export interface RolloutSpec {
  /** For a flag rollout (spec.flag) spec/ derives it: listen `flag:ENV/KEY`, canary `KEY=VARIANT`, stable `KEY!=VARIANT` (src/flags/guarded.ts). */
  service: ServiceSpec;
  /** Set for a guarded flag rollout: the data plane is the flag, the measurements are what applications track per variant. */
  flag?: FlagTargetSpec;
  /** Always explicit steps after normalisation; the Flagger shorthand is expanded by spec/. */
  steps: CanaryStep[];
  /** Absent: no analysis, steps advance on time and gates alone. */
  analysis?: AnalysisSpec;
  onFailure: 'rollback';
  onInconclusive: 'pause' | 'rollback';
  /** Webhooks and gates around the steps (lifecycle-types.ts). */
  hooks?: HookSpec[];
  /** Where to tell people about the rollout (lifecycle-types.ts). */
  notifications?: NotificationSpec[];
  /** strategy.canary.postPromotionAnalysis: all traffic on the canary for a window, judged, before it becomes stable. */
  postPromotion?: PostPromotionSpec;
  /** Set when the spec used strategy.blueGreen: the steps are the preview, the switch is the promotion. */
  blueGreen?: BlueGreenSpec;
  /** How long after promotion `undo` may return to the previous stable; absent: no undo. */
  undoWindow?: Millis;
  /** A rollout that makes no progress for this long past its step's own wait is rolled back; absent: no deadline. */
  progressDeadline?: Millis;
  /** A/B rules (strategy.canary.match or strategy.abTest.match): a matching request goes to the canary whatever the weight. */
  match?: MatchRule[];
  /** strategy.canary.mirror: copy this share of stable's requests to the canary while it is rolled out. */
  mirror?: MirrorSettings;
  /** Set when the spec used the A/B strategy: the canary gets matched traffic only, for `iterations` checks. */
  abTest?: { iterations: number };
}

export interface Rollout {
  apiVersion: typeof API_VERSION;
  kind: 'Rollout';
  metadata: { name: string; labels?: Record<string, string> };
  spec: RolloutSpec;
  /** sha256 of the document as written, before defaults: "the same file again" survives upgrades. */
  digest?: string;
}
