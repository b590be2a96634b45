import { deliver, type DeliverOptions } from './deliver.js';
import type { Notifier, NotifyMessage, NotifyOutcome } from './notifier.js';
import { contextOf, expiresText, titleOf } from './notifier.js';

export const SLACK_NOTIFIER_TYPE = 'slack';

// Slack's limits: header text 150 characters, section text 3000.
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The Block Kit message for a Slack incoming webhook; `text` is the fallback for notifications. */
export function slackMessage(m: NotifyMessage): Record<string, unknown> {
  const title = titleOf(m);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(title, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: cut(escape(m.text), 3000) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: escape(contextOf(m)) }] },
  ];
  if (m.approve) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve this step' }, style: 'primary', url: m.approve.url, action_id: 'sluice-approve' }],
    });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `The link works once, until ${expiresText(m.approve.expiresAt)}.` }] });
  }
  return { text: `${title}: ${m.text}`, blocks };
}

/** Slack's mrkdwn needs &, < and > escaped. */
function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming webhook (https://hooks.slack.com/services/…); its URL is its credential. */
export class SlackNotifier implements Notifier {
  readonly type = SLACK_NOTIFIER_TYPE;

  constructor(private readonly opts: Omit<DeliverOptions, 'headers' | 'signal'> & { url: string }) {}

  send(m: NotifyMessage, signal?: AbortSignal): Promise<NotifyOutcome> {
    return deliver(this.opts.url, JSON.stringify(slackMessage(m)), { ...this.opts, ...(signal ? { signal } : {}) });
  }
}
