import type { NotifyEvent } from '../spec/lifecycle-types.js';
import { stepNumbers } from './describe.js';
import type { Draft } from './draft.js';
import type { EventDraft, Notification } from './hook-types.js';
import type { RolloutState } from './types.js';

/*
 * Notifications are derived from the events of one step, in one place: the
 * events are the decisions, the notifications tell people about some of them.
 * The controller sends them once the state and events are stored.
 */

/** Rollbacks caused by the process rather than by the canary's measurements are `failed`. */
const FAILURE_CAUSES: readonly unknown[] = ['hook', 'deadline'];

/** What an event tells people, if anything. */
export function notifyEventOf(event: EventDraft): NotifyEvent | undefined {
  switch (event.type) {
    case 'started':
    case 'retried':
      return 'started';
    case 'weight-changed':
      return 'step';
    case 'paused':
      return 'paused';
    case 'promoted':
      return 'promoted';
    case 'rolled-back':
      return FAILURE_CAUSES.includes(event.data?.cause) ? 'failed' : 'rolled-back';
    case 'aborted':
      return 'aborted';
    default:
      return undefined;
  }
}

/** Appends a notify action for every event of this step that any of the spec's notification targets wants. */
export function addNotifications(draft: Draft): void {
  const targets = draft.state.spec.notifications;
  if (!targets || targets.length === 0) return;
  const wanted = new Set(targets.flatMap((t) => t.on));
  const events = draft.actions.flatMap((a) => (a.type === 'event' ? [a.event] : []));
  for (const event of events) {
    const kind = notifyEventOf(event);
    if (kind && wanted.has(kind)) draft.actions.push({ type: 'notify', notification: notification(draft.state, kind, event) });
  }
}

/** Built after the whole step: where the event happened comes from its data when it says (several events may share one step). */
function notification(state: RolloutState, kind: NotifyEvent, event: EventDraft): Notification {
  const steps = state.spec.steps.length;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const stepIndex = num(event.data?.stepIndex) ?? state.stepIndex;
  return {
    event: kind,
    message: event.message,
    revision: state.revision,
    phase: state.phase,
    canaryWeight: num(event.data?.to) ?? num(event.data?.canaryWeight) ?? state.canaryWeight,
    ...stepNumbers(stepIndex, steps),
    ...(event.actor === undefined ? {} : { actor: event.actor }),
    ...(event.data === undefined ? {} : { data: { ...event.data } }),
    ...(kind === 'paused' ? { approve: { startedAt: state.startedAt, stepIndex: state.stepIndex } } : {}),
  };
}
