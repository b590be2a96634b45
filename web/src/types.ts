import type { CheckResult, Verdict } from '../../src/analysis/types.js';
import type { FlagDefinition, Segment, Split } from '../../src/spec/flagset-types.js';
import type { LiveView } from '../../src/server/live-types.js';

/**
 * What the dashboard reads from the control-plane API (`/api/v1/openapi.json`
 * documents it). The browser build is a separate TypeScript project that may
 * import only pure modules of src/ (no Node imports): the flag and check types
 * and live-traffic types come from there; the views mirror src/server/views.ts
 * and src/store/store.ts, which the server builds from Node modules.
 */

export type Role = 'viewer' | 'operator' | 'admin';
export type Phase = 'progressing' | 'paused' | 'promoted' | 'rolled-back' | 'aborted';

export interface Whoami {
  id: string;
  name: string;
  role: Role;
}

// Live traffic per version: the server's own types (pure, no imports).
export type { LiveView, VersionLive } from '../../src/server/live-types.js';

// A check's verdicts: the analysis module's own types (pure, no imports).
export type { CheckResult, MetricVerdict, Verdict, VersionWindow } from '../../src/analysis/types.js';

/** One sequential test's latest conclusion (errors, or slow requests for latency). */
export interface JudgeDecision {
  verdict: Verdict;
  statistic: number;
  threshold: number;
  fail: { logBF: number; threshold: number };
  pass: { logBF: number; threshold: number };
  counts: { canaryRequests: number; canaryErrors: number; stableRequests: number; stableErrors: number };
  ratioEstimate?: number;
  reason: string;
  thresholdMs?: number;
}

/** A guarded flag rollout's target (spec.flag): the share of users served `variant` is its "canary weight". */
export interface FlagTarget {
  environment: string;
  key: string;
  variant: string;
  flagSet?: string;
}

export type Step = { setWeight: number } | { pause: { duration?: number } } | { analysis: { checks: number } } | Record<string, unknown>;

export interface RolloutView {
  name: string;
  revision: number;
  phase: Phase;
  pauseReason?: string;
  message: string;
  step: { index: number; total: number; current?: Step; percent: number };
  canaryWeight: number;
  routes: { canaryWeight?: number; stable?: string[]; canary?: string[]; listen?: string };
  routesConfirmed: boolean;
  lastCheck?: CheckResult;
  judge?: { passed: boolean; stepEvents: number; errors?: JudgeDecision; latency?: JudgeDecision; latencyThresholdMs?: number };
  live?: LiveView;
  startedAt: string;
  finishedAt?: string;
  updatedAt: string;
  rollout: { metadata: { name: string; labels?: Record<string, string> }; spec: { steps: Step[]; analysis?: unknown; blueGreen?: unknown; abTest?: { iterations: number }; flag?: FlagTarget } };
}

/** A stored event: every decision with the numbers behind it. */
export interface StoredEvent {
  seq: number;
  rollout: string;
  revision: number;
  /** ms since the epoch */
  time: number;
  type: string;
  message: string;
  actor?: string;
  data?: Record<string, unknown>;
}

/** `event: metrics` of the stream: per-version rates once a second. */
export interface MetricsEvent {
  rollout: string;
  time: string;
  live: LiveView | null;
}

// Flag definitions: the spec's own types (type-only, so nothing of the server is loaded).
export type { Condition, ConditionScalar, FlagDefinition, FlagValue, Operand, Segment, Split, TargetingRule } from '../../src/spec/flagset-types.js';

/** `GET /flags/{env}/{key}`. */
export interface FlagView {
  environment: string;
  key: string;
  flagSet: string;
  definition: FlagDefinition;
  version: number;
  updatedAt: number;
  updatedBy: string;
}

/** A flag as `GET /flags` lists it (and `event: flag` carries it). */
export interface FlagSummary {
  environment: string;
  key: string;
  flagSet: string;
  type: FlagDefinition['type'];
  enabled: boolean;
  defaultVariant: string;
  offVariant: string;
  variants: string[];
  /** How many targeting rules. */
  rules: number;
  split?: Split;
  description?: string;
  /** When the flag last changed (ms since the epoch), and by whom. */
  updatedAt: number;
  updatedBy: string;
}

/** `GET /flags/{env}/{key}/history`: one change to a flag. */
export interface StoredFlagEvent {
  seq: number;
  environment: string;
  flagSet?: string;
  flag?: string;
  type: string;
  message: string;
  actor: string;
  time: number;
  data?: Record<string, unknown>;
}

/** `event: flag` of the stream: one committed change to an environment's flags. */
export interface FlagStreamEvent {
  environment: string;
  revision: number;
  actor: string;
  time: number;
  flags: FlagSummary[];
  removed: string[];
}

/** `GET /flagsets/{env}/{name}`: the applied document (segments are what rules refer to). */
export interface FlagSetRecord {
  environment: string;
  name: string;
  flagSet: { metadata: { name: string; environment: string }; spec: { segments: Record<string, Segment>; flags: Record<string, FlagDefinition> } };
  version: number;
  updatedAt: number;
  updatedBy: string;
}
