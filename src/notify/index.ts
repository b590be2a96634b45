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

/** A notification target that signs with a key the server's environment does not have. */
export interface MissingSecret {
  /** Field path in the rollout document, e.g. `spec.notifications[0].secretEnv`. */
  path: string;
  target: string;
  variable: string;
  /** What is wrong and what to do. */
  message: string;
}

/**
 * The webhook targets whose `secretEnv` names a variable that is unset (or
 * empty) in `env`: they would send nothing, so the API refuses such a rollout
 * and `sluice up` warns about the ones it already carries.
 */
export function missingSecrets(notifications: readonly Pick<NotificationSpec, 'name' | 'type' | 'secretEnv'>[] | undefined, env: Record<string, string | undefined> = process.env): MissingSecret[] {
  return (notifications ?? []).flatMap((n, i) => {
    if (n.type !== WEBHOOK_NOTIFIER_TYPE || n.secretEnv === undefined || (env[n.secretEnv] ?? '') !== '') return [];
    return [{ path: `spec.notifications[${i}].secretEnv`, target: n.name, variable: n.secretEnv, message: missingSecretSentence(n.name, n.secretEnv) }];
  });
}

function missingSecretSentence(target: string, variable: string): string {
  return `notifications to ${target} are signed with the key in the environment variable ${variable}, which is not set where \`sluice up\` runs: ` +
    `set ${variable} there (the receiver checks X-Sluice-Signature with the same key) and restart the server`;
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
export function createNotifier(spec: (Pick<NotificationSpec, 'type' | 'url' | 'timeout' | 'secretEnv'> & { name?: string }) | { type: string; url?: string; timeout?: number; name?: string }, deps: NotifierDeps = {}): Notifier {
  const base = { url: String(spec.url ?? ''), timeoutMs: spec.timeout ?? 5000, ...(deps.retryDelayMs === undefined ? {} : { retryDelayMs: deps.retryDelayMs }) };
  switch (spec.type) {
    case WEBHOOK_NOTIFIER_TYPE: {
      const name = 'secretEnv' in spec ? spec.secretEnv : undefined;
      if (name === undefined) return new WebhookNotifier(base);
      const secret = (deps.env ?? process.env)[name];
      if (secret === undefined || secret === '') {
        return new WebhookNotifier({ ...base, missingSecret: `not sent: ${missingSecretSentence(spec.name ?? 'this webhook', name)}` });
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
