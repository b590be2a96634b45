import { createHmac, randomUUID } from 'node:crypto';
import { deliver, type DeliverOptions } from './deliver.js';
import type { Notifier, NotifyMessage, NotifyOutcome } from './notifier.js';
import { titleOf } from './notifier.js';

export const WEBHOOK_NOTIFIER_TYPE = 'webhook';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-sluice-signature';

/** HMAC-SHA256 of `body` under `key`, as sent in X-Sluice-Signature. */
export function signBody(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('hex')}`;
}

/** The JSON a generic webhook receives. */
export interface WebhookNotification {
  rollout: string;
  event: NotifyMessage['event'];
  title: string;
  message: string;
  revision: number;
  phase: string;
  canaryWeight: number;
  /** 1-based, as `sluice status` shows it ("step 2/4"; capped at the last step). */
  step: number;
  steps: number;
  /** Index into spec.steps (0-based; the step count once all are done). */
  stepIndex: number;
  actor: string | null;
  time: string;
  approveUrl: string | null;
  approveExpiresAt: string | null;
  data: Record<string, unknown>;
}

export interface WebhookNotifierOptions extends Omit<DeliverOptions, 'headers' | 'signal'> {
  url: string;
  /** HMAC key; without it the body is sent unsigned. */
  secret?: string;
  /** Why there is no key although one was asked for: sending is refused with this sentence. */
  missingSecret?: string;
}

/**
 * A generic JSON webhook, signed: X-Sluice-Signature is `sha256=` and the hex
 * HMAC-SHA256 of the exact body bytes, so receivers can check the sender and
 * that nothing changed on the way.
 */
export class WebhookNotifier implements Notifier {
  readonly type = WEBHOOK_NOTIFIER_TYPE;

  constructor(private readonly opts: WebhookNotifierOptions) {}

  async send(m: NotifyMessage, signal?: AbortSignal): Promise<NotifyOutcome> {
    if (this.opts.missingSecret) return { ok: false, message: this.opts.missingSecret, attempts: 0 };
    const payload: WebhookNotification = {
      rollout: m.rollout,
      event: m.event,
      title: titleOf(m),
      message: m.text,
      revision: m.revision,
      phase: m.phase,
      canaryWeight: m.canaryWeight,
      step: m.step,
      steps: m.steps,
      stepIndex: m.stepIndex,
      actor: m.actor ?? null,
      time: new Date(m.time).toISOString(),
      approveUrl: m.approve?.url ?? null,
      approveExpiresAt: m.approve ? new Date(m.approve.expiresAt).toISOString() : null,
      data: m.data ?? {},
    };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'x-sluice-event': m.event, 'x-sluice-delivery': randomUUID() };
    if (this.opts.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(this.opts.secret, body);
    return deliver(this.opts.url, body, { ...this.opts, headers, ...(signal ? { signal } : {}) });
  }
}
