import type { NotifyEvent } from '../spec/lifecycle-types.js';

/**
 * Tells people about a rollout: one target (a webhook receiver, a Slack or
 * Teams channel). `send` never throws; a failed delivery is a NotifyOutcome.
 */
export interface Notifier {
  readonly type: string;
  send(message: NotifyMessage, signal?: AbortSignal): Promise<NotifyOutcome>;
}

/** One notification, in the same words for every format. */
export interface NotifyMessage {
  rollout: string;
  event: NotifyEvent;
  /** The engine's sentence for the decision. */
  text: string;
  revision: number;
  /** The rollout's phase after the decision. */
  phase: string;
  canaryWeight: number;
  /** Index into spec.steps (0-based), the 1-based step people see ("step 2/4"), and the step count. */
  stepIndex: number;
  step: number;
  steps: number;
  actor?: string;
  /** When it happened (ms since the epoch). */
  time: number;
  /** `paused` only: a signed, expiring, single-use link that promotes the step. */
  approve?: { url: string; expiresAt: number };
  /** The decision's data: the check, the judge's counts, the hook. */
  data?: Record<string, unknown>;
}

export interface NotifyOutcome {
  ok: boolean;
  status?: number;
  message: string;
  attempts: number;
}

const TITLES: Record<NotifyEvent, (m: NotifyMessage) => string> = {
  started: (m) => `🚀 ${m.rollout}: revision ${m.revision} started`,
  step: (m) => `➡️ ${m.rollout}: canary at ${m.canaryWeight}% (step ${m.step}/${m.steps})`,
  paused: (m) => `⏸️ ${m.rollout} is waiting at step ${m.step}/${m.steps}`,
  promoted: (m) => `✅ ${m.rollout}: revision ${m.revision} promoted`,
  'rolled-back': (m) => `⏪ ${m.rollout}: revision ${m.revision} rolled back`,
  aborted: (m) => `⛔ ${m.rollout}: revision ${m.revision} aborted`,
  failed: (m) => `❌ ${m.rollout}: revision ${m.revision} failed`,
};

/** A one-line title, the same in every format. */
export function titleOf(m: NotifyMessage): string {
  return TITLES[m.event](m);
}

/** "revision 3 · 20% canary · step 2/4 · by alice" */
export function contextOf(m: NotifyMessage): string {
  return [`revision ${m.revision}`, `${m.canaryWeight}% canary`, `step ${m.step}/${m.steps}`, m.phase, ...(m.actor ? [`by ${m.actor}`] : [])].join(' · ');
}

/** When an approve link stops working, for people. */
export function expiresText(expiresAt: number): string {
  return `${new Date(expiresAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
