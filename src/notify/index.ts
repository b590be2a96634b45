import type { NotificationSpec } from '../spec/lifecycle-types.js';
import { MEMORY_NOTIFIER_TYPE, MemoryNotifier, NOOP_NOTIFIER_TYPE, NoopNotifier } from './memory.js';
import type { Notifier } from './notifier.js';
import { SLACK_NOTIFIER_TYPE, SlackNotifier } from './slack.js';
import { TEAMS_NOTIFIER_TYPE, TeamsNotifier } from './teams.js';
import { WEBHOOK_NOTIFIER_TYPE, WebhookNotifier } from './webhook.js';

export type { Notifier, NotifyMessage, NotifyOutcome } from './notifier.js';
export { titleOf } from './notifier.js';
export { WebhookNotifier, SIGNATURE_HEADER, signBody, type WebhookNotification } from './webhook.js';
export { SlackNotifier, slackMessage } from './slack.js';
export { TeamsNotifier, teamsMessage } from './teams.js';
export { MemoryNotifier, NoopNotifier } from './memory.js';

export const NOTIFIER_KINDS = [WEBHOOK_NOTIFIER_TYPE, SLACK_NOTIFIER_TYPE, TEAMS_NOTIFIER_TYPE, MEMORY_NOTIFIER_TYPE, NOOP_NOTIFIER_TYPE] as const;

export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  constructor(
    readonly code: 'SLUICE_UNKNOWN_NOTIFIER',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface NotifierDeps {
  /** Where `secretEnv` is looked up (default process.env). */
  env?: Record<string, string | undefined>;
  retryDelayMs?: number;
}

/**
 * The notifier for one of a rollout's notification targets, chosen by its
 * `type`; an unknown type throws NotifyError SLUICE_UNKNOWN_NOTIFIER.
 * A webhook whose `secretEnv` is not set refuses to send unsigned.
 */
export function createNotifier(spec: Pick<NotificationSpec, 'type' | 'url' | 'timeout' | 'secretEnv'> | { type: string; url?: string; timeout?: number }, deps: NotifierDeps = {}): Notifier {
  const base = { url: String(spec.url ?? ''), timeoutMs: spec.timeout ?? 5000, ...(deps.retryDelayMs === undefined ? {} : { retryDelayMs: deps.retryDelayMs }) };
  switch (spec.type) {
    case WEBHOOK_NOTIFIER_TYPE: {
      const name = 'secretEnv' in spec ? spec.secretEnv : undefined;
      if (name === undefined) return new WebhookNotifier(base);
      const secret = (deps.env ?? process.env)[name];
      if (secret === undefined || secret === '') {
        return new WebhookNotifier({ ...base, missingSecret: `not sent: the server has no environment variable ${name} to sign with (secretEnv); set it where \`sluice up\` runs` });
      }
      return new WebhookNotifier({ ...base, secret });
    }
    case SLACK_NOTIFIER_TYPE:
      return new SlackNotifier(base);
    case TEAMS_NOTIFIER_TYPE:
      return new TeamsNotifier(base);
    case MEMORY_NOTIFIER_TYPE:
      return new MemoryNotifier();
    case NOOP_NOTIFIER_TYPE:
      return new NoopNotifier();
    default:
      throw new NotifyError('SLUICE_UNKNOWN_NOTIFIER', `unknown notifier type ${JSON.stringify(spec.type)}; known types are ${NOTIFIER_KINDS.join(', ')}`);
  }
}
