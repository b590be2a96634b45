import { isMapping, list, object, optional, record, required, withDefault, type Infer, type Report } from './schema.js';
import { duration, integer, oneOf, string } from './schema-scalars.js';
import { HOOK_PHASES, NOTIFIER_TYPES, NOTIFY_EVENTS, type HookType } from './lifecycle-types.js';

/**
 * `spec.hooks` (webhooks, gates and the built-in load generator) and
 * `spec.notifications`, as users write them.
 */

const NAME = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

function name(what: string) {
  return string({ description: `the ${what}'s name, unique in this rollout`, expected: 'lowercase letters, digits and "-", such as "smoke-test"', pattern: NAME, maxLength: 63 });
}

/** An http(s) URL; returns the problem or undefined. */
export function httpUrlProblem(value: string, example: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL, got ${JSON.stringify(value)}; expected something like ${example}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, got ${JSON.stringify(value)}`;
  return undefined;
}

function url(description: string, example: string) {
  return string({ description, expected: `an http:// or https:// URL such as ${example}`, check: (v) => httpUrlProblem(v, example) });
}

const HOOK_TYPES: readonly HookType[] = [...HOOK_PHASES, 'load'];

const hook = object(
  {
    name: required(name('hook')),
    type: required(oneOf(HOOK_TYPES, 'when the hook runs (Flagger webhook types), or "load" for the built-in load generator run at every new weight')),
    url: optional(url('webhooks: the URL POSTed to; load: the URL requested (default: the service listen address)', 'http://127.0.0.1:9300/hooks/smoke')),
    timeout: withDefault(duration('how long one attempt may take; longer is a failure'), '10s'),
    retries: withDefault(integer({ description: 'attempts after a failed one before the hook counts as failed', min: 0, max: 10 }), 0),
    metadata: optional(record(
      string({ description: 'metadata key', expected: 'a non-empty key' }),
      string({ description: 'metadata value', expected: 'a string', allowEmpty: true }),
      'sent as is in the webhook payload',
    )),
    rps: optional(integer({ description: 'load: requests per second', min: 1, max: 5000 })),
    duration: optional(duration('load: how long to send requests')),
  },
  { description: 'a webhook (Flagger model: POST {name, phase, metadata}, 2xx is success) or the built-in load generator', check: checkHook },
);

function checkHook(value: { type?: HookType }, report: Report, raw: Readonly<Record<string, unknown>>): void {
  const type = value.type;
  if (type === undefined) return;
  if (type === 'load') {
    if (raw.rps === undefined) report(['rps'], 'parent', 'missing required field (a load hook needs requests per second, e.g. rps: 20)');
    if (raw.duration === undefined) report(['duration'], 'parent', 'missing required field (a load hook needs how long to run, e.g. duration: 30s)');
    if (raw.metadata !== undefined) report(['metadata'], 'key', 'only webhooks send metadata; remove it from this load hook');
    return;
  }
  if (raw.url === undefined) report(['url'], 'parent', `missing required field (the URL a ${type} webhook is POSTed to)`);
  for (const k of ['rps', 'duration'] as const) {
    if (raw[k] !== undefined) report([k], 'key', `only load hooks take "${k}"; remove it or set type: load`);
  }
}

export const hooks = list(hook, {
  description: 'webhooks and gates around the steps, and built-in load generators',
  minItems: 1,
  unique: { key: (h) => (isMapping(h) && typeof h.name === 'string' ? h.name : undefined), what: 'hook', at: ['name'] },
});

const notification = object(
  {
    name: required(name('notification')),
    type: required(oneOf(NOTIFIER_TYPES, 'the message format: a signed JSON webhook, Slack incoming webhook or Microsoft Teams')),
    url: required(url('where the message is POSTed', 'https://hooks.slack.com/services/T000/B000/XXXX')),
    on: withDefault(list(oneOf(NOTIFY_EVENTS, 'an event to notify about'), { description: 'which events to send', minItems: 1 }), [...NOTIFY_EVENTS]),
    secretEnv: optional(string({
      description: "webhook: the server's environment variable holding the HMAC-SHA256 signing key (sent as X-Sluice-Signature: sha256=<hex>)",
      expected: 'an environment variable name such as SLUICE_NOTIFY_SECRET',
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    })),
    timeout: withDefault(duration('how long delivery may take'), '5s'),
  },
  { description: 'a notification target', check: checkNotification },
);

function checkNotification(value: { type?: string }, report: Report, raw: Readonly<Record<string, unknown>>): void {
  if (value.type !== undefined && value.type !== 'webhook' && raw.secretEnv !== undefined) {
    report(['secretEnv'], 'key', `only webhook notifications are signed; ${value.type} authenticates with its URL`);
  }
}

export const notifications = list(notification, {
  description: 'where to tell people about the rollout: started, each step, paused, promoted, rolled back, aborted, failed',
  minItems: 1,
  unique: { key: (n) => (isMapping(n) && typeof n.name === 'string' ? n.name : undefined), what: 'notification', at: ['name'] },
});

export type HooksInput = Infer<typeof hooks>;
export type NotificationsInput = Infer<typeof notifications>;
