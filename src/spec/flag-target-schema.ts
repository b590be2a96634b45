import { isMapping, object, optional, required, withDefault, type Report } from './schema.js';
import { string } from './schema-scalars.js';

/**
 * `spec.flag` of a Rollout: a guarded flag rollout instead of a traffic one.
 * Exactly one of `spec.service` and `spec.flag`; a flag rollout moves users,
 * not requests, so the request-routing options do not apply to it.
 */

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const FLAG_KEY = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const flagTarget = object(
  {
    environment: required(string({ description: 'the environment of the flag', expected: 'an environment name such as "production"', pattern: DNS_LABEL, maxLength: 63 })),
    key: required(string({ description: 'the flag key', expected: 'a flag key such as "new-checkout"', pattern: FLAG_KEY, maxLength: 128 })),
    variant: withDefault(string({ description: 'the variant rolled out to a growing share of users', expected: 'a variant name such as "on"', maxLength: 128 }), 'on'),
    flagSet: optional(string({ description: 'the FlagSet the flag must belong to', expected: 'a FlagSet name such as "checkout"', pattern: DNS_LABEL, maxLength: 63 })),
  },
  { description: 'a guarded flag rollout: the share of users served `variant` goes through the steps, judged on what applications track per variant (instead of spec.service)' },
);

/** Raw-input rules for spec.flag against the rest of the spec. */
export function checkFlagTarget(raw: Readonly<Record<string, unknown>>, report: Report): void {
  const hasService = raw.service !== undefined;
  const hasFlag = raw.flag !== undefined;
  if (hasService && hasFlag) {
    report(['flag'], 'key', 'cannot be used together with "service": a rollout moves either traffic (service) or a flag\'s users (flag)');
    return;
  }
  if (!hasService && !hasFlag) {
    report(['service'], 'parent', 'missing required field (or "flag" for a guarded flag rollout)');
    return;
  }
  if (!hasFlag) return;
  if (Array.isArray(raw.hooks)) {
    raw.hooks.forEach((h, i) => {
      if (isMapping(h) && h.type === 'load' && h.url === undefined) report(['hooks', i], 'value', 'a load hook of a flag rollout needs a url: there is no service address to aim it at');
    });
  }
  const strategy = raw.strategy;
  if (!isMapping(strategy)) return;
  for (const other of ['abTest', 'blueGreen'] as const) {
    if (strategy[other] !== undefined) report(['strategy', other], 'key', 'does not apply to a flag rollout; use strategy.canary with setWeight steps (the share of users on the variant)');
  }
  const canary = strategy.canary;
  if (!isMapping(canary)) return;
  for (const field of ['match', 'mirror', 'postPromotionAnalysis'] as const) {
    if (canary[field] !== undefined) report(['strategy', 'canary', field], 'key', 'does not apply to a flag rollout, which assigns users by the flag\'s bucketing; remove it');
  }
}
