import type { Millis } from './types.js';

/**
 * The rollout lifecycle around the steps: webhooks and gates (Flagger's
 * model), notifications, and the post-promotion, undo and deadline settings.
 * Normalised shapes; hook-schema.ts and notify-schema.ts define the YAML.
 */

/**
 * When a hook runs (Flagger's webhook types):
 *
 * - `confirm-rollout`: a gate before anything starts; polled until it answers 2xx.
 * - `pre-rollout`: once before the canary gets traffic; failing stops the rollout (weight never above 0).
 * - `confirm-traffic-increase`: a gate before every increase of the canary's weight.
 * - `rollout`: after every weight change to a new weight above 0 (a smoke or load test);
 *   a failure counts like a failed check, and the step cannot end until it passes.
 * - `confirm-promotion`: a gate before promotion.
 * - `post-rollout`: once after the rollout ends (promoted, rolled back or aborted); recorded only.
 * - `rollback`: polled while the rollout runs; a 2xx answer rolls it back (a manual rollback trigger).
 */
export const HOOK_PHASES = [
  'confirm-rollout',
  'pre-rollout',
  'confirm-traffic-increase',
  'rollout',
  'confirm-promotion',
  'post-rollout',
  'rollback',
] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** Hook phases that hold the rollout while they answer non-2xx, asking again every poll interval. */
export const GATE_PHASES = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'] as const;
export type GatePhase = (typeof GATE_PHASES)[number];

/** A hook's `type`: a phase (a webhook), or `load`, Sluice's built-in load generator run at the `rollout` phase. */
export type HookType = HookPhase | 'load';

export interface HookSpec {
  /** Unique within the rollout; events and payloads name it. */
  name: string;
  type: HookType;
  /** Webhooks: the URL POSTed to. `load`: the URL requested (default: the service's listen address). */
  url: string;
  /** One attempt's limit (webhooks); a slower answer is a failure. */
  timeout: Millis;
  /** Attempts after a failed one (non-2xx, timeout, connection error) before the run counts as failed. */
  retries: number;
  /** Sent in the payload as is (webhooks). */
  metadata?: Record<string, string>;
  /** `load` only: requests per second and how long. */
  rps?: number;
  duration?: Millis;
}

/** The phase a hook of this type runs at. */
export function hookPhaseOf(type: HookType): HookPhase {
  return type === 'load' ? 'rollout' : type;
}

/** After the switch to the new version: keep judging it for `duration`; a failure switches back. */
export interface PostPromotionSpec {
  duration: Millis;
}

/** Set when the spec used the blue-green strategy: its preview is a header match rule, or a listener of its own. */
export interface BlueGreenSpec {
  previewHeader?: { name: string; value: string };
  /** host:port where every request goes to the new version. */
  previewListen?: string;
}

/** What a notification is about. */
export const NOTIFY_EVENTS = ['started', 'step', 'paused', 'promoted', 'rolled-back', 'aborted', 'failed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NOTIFIER_TYPES = ['webhook', 'slack', 'teams'] as const;
export type NotifierType = (typeof NOTIFIER_TYPES)[number];

export interface NotificationSpec {
  /** Unique within the rollout. */
  name: string;
  type: NotifierType;
  url: string;
  /** Which events to send (default: all). */
  on: NotifyEvent[];
  /** `webhook` only: the environment variable of the server holding the HMAC-SHA256 key (never the key itself: specs are readable over the API). */
  secretEnv?: string;
  timeout: Millis;
}
