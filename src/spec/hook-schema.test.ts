import { describe, expect, it } from 'vitest';
import { parseRolloutDocuments } from './parse-rollout.js';
import { formatSpecError } from './spec-error.js';

/** spec.hooks and spec.notifications: defaults, normalisation and errors at file:line:column. */

const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
  strategy: {canary: {steps: [{setWeight: 50}]}}
`;

function parse(tail: string) {
  const { rollouts, errors } = parseRolloutDocuments(HEAD + tail, 'r.yaml');
  return { spec: rollouts[0]?.spec, errors: errors.map(formatSpecError) };
}

describe('spec.hooks', () => {
  it('applies defaults, keeps metadata, and aims load hooks at the service by default', () => {
    const { spec, errors } = parse(`  hooks:
    - {name: smoke, type: rollout, url: http://127.0.0.1:9300/smoke, metadata: {cmd: run}}
    - {name: gate, type: confirm-promotion, url: http://127.0.0.1:9300/gate, timeout: 2s, retries: 2}
    - {name: load, type: load, rps: 20, duration: 30s}
    - {name: load-api, type: load, rps: 5, duration: 1m, url: http://127.0.0.1:8080/api?x=1}
`);
    expect(errors).toEqual([]);
    expect(spec!.hooks).toEqual([
      { name: 'smoke', type: 'rollout', url: 'http://127.0.0.1:9300/smoke', timeout: 10_000, retries: 0, metadata: { cmd: 'run' } },
      { name: 'gate', type: 'confirm-promotion', url: 'http://127.0.0.1:9300/gate', timeout: 2000, retries: 2 },
      { name: 'load', type: 'load', url: 'http://127.0.0.1:8080/', timeout: 10_000, retries: 0, rps: 20, duration: 30_000 },
      { name: 'load-api', type: 'load', url: 'http://127.0.0.1:8080/api?x=1', timeout: 10_000, retries: 0, rps: 5, duration: 60_000 },
    ]);
  });

  it('reports every mistake where it is', () => {
    const { errors } = parse(`  hooks:
    - {name: smoke, type: rolout, url: http://x/}
    - {name: gate, type: confirm-promotion}
    - {name: gate, type: pre-rollout, url: ftp://x/, rps: 3}
    - {name: load, type: load, metadata: {a: b}}
`);
    expect(errors).toEqual([
      'r.yaml:11:27: spec.hooks[0].type: must be one of "confirm-rollout", "pre-rollout", "confirm-traffic-increase", "rollout", "confirm-promotion", "post-rollout", "rollback", "load", got "rolout"; did you mean "rollout"?',
      'r.yaml:12:7: spec.hooks[1].url: missing required field (the URL a confirm-promotion webhook is POSTed to)',
      'r.yaml:13:14: spec.hooks[2].name: duplicate hook "gate", already at [1]',
      'r.yaml:13:44: spec.hooks[2].url: must be an http:// or https:// URL, got "ftp://x/"',
      'r.yaml:13:54: spec.hooks[2].rps: only load hooks take "rps"; remove it or set type: load',
      'r.yaml:14:7: spec.hooks[3].rps: missing required field (a load hook needs requests per second, e.g. rps: 20)',
      'r.yaml:14:7: spec.hooks[3].duration: missing required field (a load hook needs how long to run, e.g. duration: 30s)',
      'r.yaml:14:32: spec.hooks[3].metadata: only webhooks send metadata; remove it from this load hook',
    ]);
  });
});

describe('spec.notifications', () => {
  it('defaults to every event and keeps the secret as the name of an environment variable', () => {
    const { spec, errors } = parse(`  notifications:
    - {name: ops, type: webhook, url: https://ops.example/sluice, secretEnv: OPS_SECRET}
    - {name: chat, type: slack, url: https://hooks.slack.com/services/T/B/X, on: [paused, rolled-back, paused]}
`);
    expect(errors).toEqual([]);
    expect(spec!.notifications).toEqual([
      { name: 'ops', type: 'webhook', url: 'https://ops.example/sluice', on: ['started', 'step', 'paused', 'promoted', 'rolled-back', 'aborted', 'failed'], secretEnv: 'OPS_SECRET', timeout: 5000 },
      { name: 'chat', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X', on: ['paused', 'rolled-back'], timeout: 5000 },
    ]);
  });

  it('refuses an unknown format, an unknown event and a secret on Slack', () => {
    const { errors } = parse(`  notifications:
    - {name: a, type: discord, url: https://x/}
    - {name: b, type: slack, url: https://x/, secretEnv: S, on: [promotd]}
`);
    expect(errors).toEqual([
      'r.yaml:11:23: spec.notifications[0].type: must be one of "webhook", "slack", "teams", got "discord"',
      'r.yaml:12:47: spec.notifications[1].secretEnv: only webhook notifications are signed; slack authenticates with its URL',
      'r.yaml:12:66: spec.notifications[1].on[0]: must be one of "started", "step", "paused", "promoted", "rolled-back", "aborted", "failed", got "promotd"; did you mean "promoted"?',
    ]);
  });
});
