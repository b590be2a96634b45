import { deliver, type DeliverOptions } from './deliver.js';
import type { Notifier, NotifyMessage, NotifyOutcome } from './notifier.js';
import { expiresText, titleOf } from './notifier.js';

export const TEAMS_NOTIFIER_TYPE = 'teams';

const COLOR: Record<NotifyMessage['event'], string> = {
  started: 'Accent',
  step: 'Default',
  paused: 'Warning',
  promoted: 'Good',
  'rolled-back': 'Attention',
  aborted: 'Attention',
  failed: 'Attention',
};

/**
 * A Microsoft Teams message: an Adaptive Card (1.4) in the envelope that
 * Teams incoming webhooks and Workflows ("post to a channel when a webhook
 * request is received") accept.
 */
export function teamsMessage(m: NotifyMessage): Record<string, unknown> {
  const facts = [
    { title: 'Revision', value: String(m.revision) },
    { title: 'Step', value: `${m.step}/${m.steps}` },
    { title: 'Canary weight', value: `${m.canaryWeight}%` },
    { title: 'Phase', value: m.phase },
    ...(m.actor ? [{ title: 'By', value: m.actor }] : []),
  ];
  const body: unknown[] = [
    { type: 'TextBlock', text: titleOf(m), weight: 'Bolder', size: 'Medium', wrap: true, color: COLOR[m.event] },
    { type: 'TextBlock', text: m.text, wrap: true },
    { type: 'FactSet', facts },
  ];
  if (m.approve) body.push({ type: 'TextBlock', text: `The approve link works once, until ${expiresText(m.approve.expiresAt)}.`, wrap: true, isSubtle: true, size: 'Small' });
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(m.approve ? { actions: [{ type: 'Action.OpenUrl', title: 'Approve this step', url: m.approve.url }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/** A Microsoft Teams incoming webhook or Workflows URL; its URL is its credential. */
export class TeamsNotifier implements Notifier {
  readonly type = TEAMS_NOTIFIER_TYPE;

  constructor(private readonly opts: Omit<DeliverOptions, 'headers' | 'signal'> & { url: string }) {}

  send(m: NotifyMessage, signal?: AbortSignal): Promise<NotifyOutcome> {
    return deliver(this.opts.url, JSON.stringify(teamsMessage(m)), { ...this.opts, ...(signal ? { signal } : {}) });
  }
}
