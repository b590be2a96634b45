import { describe, expect, it } from 'vitest';
import { parseRolloutDocuments, validateRollout } from './parse-rollout.js';
import { formatSpecError } from './spec-error.js';
import type { Rollout } from './types.js';

// Lines 1–9; the cases below append from line 10 on.
const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
`;
const STEPS = `  strategy:
    canary:
      steps: [{setWeight: 50}]
`;

function errorsOf(text: string): string[] {
  return parseRolloutDocuments(text, 'r.yaml').errors.map(formatSpecError);
}

function rolloutOf(text: string): Rollout {
  const { rollouts, errors } = parseRolloutDocuments(text, 'r.yaml');
  expect(errors.map(formatSpecError)).toEqual([]);
  expect(rollouts).toHaveLength(1);
  return rollouts[0];
}

describe('parseRolloutDocuments: valid documents', () => {
  it('applies every default and keeps explicit steps', () => {
    const rollout = rolloutOf(`${HEAD}  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: {duration: 1h30m}
        - analysis: {}
        - pause: {}
        - pause:
        - analysis: {checks: 3}
        - setWeight: 0
  analysis:
    metrics: [{name: success-rate, min: 99.5}, {name: latency-p50, max: 0}]
`);
    expect(rollout!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect({ ...rollout, digest: undefined }).toEqual({
      digest: undefined,
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'checkout' },
      spec: {
        service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
        steps: [
          { setWeight: 10 },
          { pause: { duration: 5_400_000 } },
          { analysis: { checks: 1 } },
          { pause: {} },
          { pause: {} },
          { analysis: { checks: 3 } },
          { setWeight: 0 },
        ],
        analysis: {
          interval: 30_000,
          failureLimit: 1,
          inconclusiveLimit: 3,
          minRequests: 20,
          consecutiveErrorLimit: 4,
          metrics: [{ name: 'success-rate', min: 99.5 }, { name: 'latency-p50', max: 0 }],
        },
        onFailure: 'rollback',
        onInconclusive: 'pause',
      },
    });
  });

  it('expands the shorthand with stepWeight and the default maxWeight', () => {
    const rollout = rolloutOf(`${HEAD}  strategy:
    canary: {interval: 90, stepWeight: 25}
  onInconclusive: rollback
`);
    expect(rollout.spec.steps).toEqual([
      { setWeight: 25 },
      { pause: { duration: 90_000 } },
      { setWeight: 50 },
      { pause: { duration: 90_000 } },
    ]);
    expect(rollout.spec.analysis).toBeUndefined();
    expect(rollout.spec.onInconclusive).toBe('rollback');
  });

  it('expands the shorthand with stepWeights', () => {
    const rollout = rolloutOf(`${HEAD}  strategy:
    canary: {interval: 2m, stepWeights: [1, 5, 25]}
`);
    expect(rollout.spec.steps.filter((s) => 'setWeight' in s)).toEqual([{ setWeight: 1 }, { setWeight: 5 }, { setWeight: 25 }]);
    expect(rollout.spec.steps[1]).toEqual({ pause: { duration: 120_000 } });
  });

  it('keeps labels, normalises upstream URLs to their origin and accepts anchors', () => {
    const rollout = rolloutOf(`apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: a-1
  labels: {team: payments, example.com/tier: ""}
spec:
  service:
    listen: "[::1]:80"
    stable: {upstreams: [http://LocalHost:9001/, http://127.0.0.1:80]}
    canary: {upstreams: [http://127.0.0.1:9002]}
  strategy:
    canary:
      steps: [{setWeight: 5}, {pause: &wait {duration: 2m}}, {setWeight: 10}, {pause: *wait}]
`);
    expect(rollout.metadata.labels).toEqual({ team: 'payments', 'example.com/tier': '' });
    expect(rollout.spec.service.stable.upstreams).toEqual(['http://localhost:9001', 'http://127.0.0.1']);
    expect(rollout.spec.service.listen).toBe('[::1]:80');
    expect(rollout.spec.steps[3]).toEqual({ pause: { duration: 120_000 } });
  });

  it('treats a "__proto__" key as an ordinary unknown field', () => {
    expect(errorsOf(`${HEAD}${STEPS}  __proto__: {onFailure: x}\n`)).toEqual([
      'r.yaml:13:3: spec.__proto__: unknown field; allowed fields are service, flag, strategy, analysis, onFailure, onInconclusive, hooks, notifications, undoWindow, progressDeadline',
    ]);
  });

  it('stops expanding aliases after a budget (billion laughs)', () => {
    const levels = ['  l0: &l0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) levels.push(`  l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    const started = Date.now();
    const errors = errorsOf(`${HEAD}${STEPS}  bomb:\n${levels.join('\n')}\n`);
    expect(errors).toEqual(['r.yaml:16:12: invalid YAML: more than 100 aliases expanded; write the values out']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects recursive aliases', () => {
    expect(errorsOf(`${HEAD}${STEPS}  analysis: &a {metrics: *a}\n`)).toEqual([
      'r.yaml:13:26: invalid YAML: alias refers to an unknown or enclosing anchor',
    ]);
  });
});

describe('parseRolloutDocuments: invalid documents', () => {
  it.each([
    {
      name: 'weight out of range, at the value',
      yaml: `${HEAD}  strategy:\n    canary:\n      steps:\n        - setWeight: 150\n`,
      errors: ['r.yaml:13:22: spec.strategy.canary.steps[0].setWeight: must be an integer from 0 to 100, got 150'],
    },
    {
      name: 'unknown field with a suggestion, at the key',
      yaml: `${HEAD}${STEPS}  analysis:\n    intervall: 10s\n    metrics: [{name: success-rate, min: 99}]\n`,
      errors: ['r.yaml:14:5: spec.analysis.intervall: unknown field; did you mean "interval"?'],
    },
    {
      name: 'unknown field without a near name lists the allowed ones',
      yaml: `${HEAD}${STEPS}  rollbackOn: errors\n`,
      errors: ['r.yaml:13:3: spec.rollbackOn: unknown field; allowed fields are service, flag, strategy, analysis, onFailure, onInconclusive, hooks, notifications, undoWindow, progressDeadline'],
    },
    {
      name: 'missing fields, at the parent mapping',
      yaml: `apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata:\n  labels: {a: b}\nspec:\n  service: {listen: 127.0.0.1:8080}\n${STEPS}`,
      errors: [
        `r.yaml:4:3: metadata.name: missing required field (the rollout's name, unique per server: lowercase letters, digits and '-', 1–63 characters)`,
        'r.yaml:6:12: spec.service.stable: missing required field (the stable version)',
        'r.yaml:6:12: spec.service.canary: missing required field (the canary version)',
      ],
    },
    {
      name: 'durations: negative, zero, unknown unit',
      yaml: `${HEAD}${STEPS}  analysis:\n    interval: 0s\n    metrics: [{name: success-rate, min: 99}]\n`.replace('[{setWeight: 50}]', '[{setWeight: 50}, {pause: {duration: -1m}}, {pause: {duration: 3d}}]'),
      errors: [
        'r.yaml:12:51: spec.strategy.canary.steps[1].pause.duration: must not be negative, got "-1m"; expected a duration such as 30s, 5m or 1h30m',
        'r.yaml:12:77: spec.strategy.canary.steps[2].pause.duration: has unknown unit "d" in "3d" (units: ms, s, m, h); expected a duration such as 30s, 5m or 1h30m',
        'r.yaml:14:15: spec.analysis.interval: must be greater than zero, got "0s"; expected a duration such as 30s, 5m or 1h30m',
      ],
    },
    {
      name: 'steps and shorthand together',
      yaml: `${HEAD}  strategy:\n    canary:\n      interval: 1m\n      steps: [{setWeight: 50}]\n      maxWeight: 40\n`,
      errors: [
        'r.yaml:12:7: spec.strategy.canary.interval: cannot be used together with "steps"; use either explicit steps or the shorthand',
        'r.yaml:14:7: spec.strategy.canary.maxWeight: cannot be used together with "steps"; use either explicit steps or the shorthand',
      ],
    },
    {
      name: 'neither steps nor shorthand',
      yaml: `${HEAD}  strategy:\n    canary: {}\n`,
      errors: ['r.yaml:11:13: spec.strategy.canary: needs either "steps" or the shorthand ("interval" with "stepWeight" or "stepWeights")'],
    },
    {
      name: 'incomplete shorthand',
      yaml: `${HEAD}  strategy:\n    canary:\n      maxWeight: 30\n      stepWeights: [10, 20, 40]\n`,
      errors: [
        'r.yaml:12:7: spec.strategy.canary.interval: missing required field (the shorthand needs how long each weight is held, e.g. 1m)',
        'r.yaml:13:29: spec.strategy.canary.stepWeights[2]: is above maxWeight (30), got 40; remove it or raise maxWeight',
      ],
    },
    {
      name: 'stepWeights not increasing, no stepWeight at all',
      yaml: `${HEAD}  strategy:\n    canary: {interval: 1m, stepWeights: [10, 10, 5, 101]}\n`,
      errors: [
        'r.yaml:11:46: spec.strategy.canary.stepWeights[1]: must be greater than the previous weight (10), got 10; stepWeights must be strictly increasing',
        'r.yaml:11:50: spec.strategy.canary.stepWeights[2]: must be greater than the previous weight (10), got 5; stepWeights must be strictly increasing',
        'r.yaml:11:53: spec.strategy.canary.stepWeights[3]: must be an integer from 1 to 100, got 101',
      ],
    },
    {
      name: 'shorthand without a weight',
      yaml: `${HEAD}  strategy:\n    canary: {interval: 1m, maxWeight: 0}\n`,
      errors: [
        'r.yaml:11:13: spec.strategy.canary.stepWeight: missing required field (the shorthand needs "stepWeight" with "maxWeight", or "stepWeights")',
        'r.yaml:11:39: spec.strategy.canary.maxWeight: must be an integer from 1 to 100, got 0',
      ],
    },
    {
      name: 'both stepWeight and stepWeights, stepWeight above maxWeight',
      yaml: `${HEAD}  strategy:\n    canary: {interval: 1m, stepWeight: 60, stepWeights: [5], maxWeight: 50}\n`,
      errors: [
        'r.yaml:11:40: spec.strategy.canary.stepWeight: must not exceed maxWeight (50), got 60',
        'r.yaml:11:44: spec.strategy.canary.stepWeights: cannot be used together with "stepWeight"; use one of them',
      ],
    },
    {
      name: 'steps that never send traffic, and malformed steps',
      yaml: `${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 0}, {pause: {}}]\n`,
      errors: ['r.yaml:12:14: spec.strategy.canary.steps: must contain at least one setWeight above 0, otherwise the canary never receives traffic'],
    },
    {
      name: 'step with two keys, an unknown key and no key',
      yaml: `${HEAD}  strategy:\n    canary:\n      steps:\n        - {setWeight: 10, pause: {}}\n        - setWieght: 20\n        - {}\n        - 30\n`,
      errors: [
        'r.yaml:13:27: spec.strategy.canary.steps[0].pause: cannot be combined with "setWeight"; each entry has exactly one of "setWeight", "pause", "analysis"',
        'r.yaml:14:11: spec.strategy.canary.steps[1].setWieght: unknown field; did you mean "setWeight"?',
        'r.yaml:15:11: spec.strategy.canary.steps[2]: must have one of "setWeight", "pause", "analysis"',
        'r.yaml:16:11: spec.strategy.canary.steps[3]: must be a mapping with one of "setWeight", "pause", "analysis", got 30',
      ],
    },
    {
      name: 'analysis step without an analysis section',
      yaml: `${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 10}, {analysis: {checks: 0}}]\n`,
      errors: [
        'r.yaml:12:33: spec.strategy.canary.steps[1].analysis: needs an analysis section (spec.analysis) that says which metrics to check; add one or remove this step',
        'r.yaml:12:52: spec.strategy.canary.steps[1].analysis.checks: must be an integer of at least 1, got 0',
      ],
    },
    {
      name: 'metric rules',
      yaml: `${HEAD}${STEPS}  analysis:\n    failureLimit: -1\n    minRequests: 2.5\n    metrics:\n      - {name: success-rate, min: 101}\n      - {name: latency-p90, max: 5}\n      - {name: latency-p99}\n      - {name: latency-p95, min: 500, max: 100}\n      - {name: success-rate, max: 100}\n`,
      errors: [
        'r.yaml:14:19: spec.analysis.failureLimit: must be an integer of at least 0, got -1',
        'r.yaml:15:18: spec.analysis.minRequests: must be an integer of at least 1, got 2.5',
        'r.yaml:17:35: spec.analysis.metrics[0].min: success-rate is a percentage: must be from 0 to 100, got 101',
        'r.yaml:18:16: spec.analysis.metrics[1].name: "latency-p90" is not a builtin metric (did you mean "latency-p50"?); use one of success-rate, error-rate, latency-p50, latency-p95, latency-p99, or give a provider (prometheus or http) for any other metric',
        'r.yaml:19:9: spec.analysis.metrics[2]: needs at least one bound: "min", "max" (absolute) or "minRatio", "maxRatio" (relative to stable)',
        'r.yaml:20:34: spec.analysis.metrics[3].min: must not exceed max (100), got 500',
        'r.yaml:21:16: spec.analysis.metrics[4].name: duplicate metric "success-rate", already at [0]',
      ],
    },
    {
      name: 'service addresses',
      yaml: `apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: {name: Checkout}\nspec:\n  service:\n    listen: localhost:70000\n    stable: {upstreams: [http://a:1, "http://a:1/", https://b:2, http://c/x, http://u:p@d:1]}\n    canary: {upstreams: [http://a:1]}\n${STEPS}`,
      errors: [
        'r.yaml:3:18: metadata.name: must be a DNS label of lowercase letters, digits and "-", starting and ending with a letter or digit, such as "checkout", got "Checkout"',
        'r.yaml:6:13: spec.service.listen: port must be from 1 to 65535, got 70000',
        'r.yaml:7:38: spec.service.stable.upstreams[1]: duplicate upstream "http://a:1", already at [0]',
        'r.yaml:7:53: spec.service.stable.upstreams[2]: must be an http:// URL with a host and optional port and no path, such as http://127.0.0.1:9001, got "https://b:2"',
        'r.yaml:7:66: spec.service.stable.upstreams[3]: must be an http:// URL with a host and optional port and no path, such as http://127.0.0.1:9001, got "http://c/x"',
        'r.yaml:7:78: spec.service.stable.upstreams[4]: must not contain credentials, got "http://u:p@d:1"',
        'r.yaml:8:26: spec.service.canary.upstreams[0]: http://a:1 is also a stable upstream; stable and canary must be different instances',
      ],
    },
    {
      name: 'wrong apiVersion, kind and shapes',
      yaml: `apiVersion: sluice.dev/v1\nkind: Rolout\nmetadata: checkout\nspec:\n  service: []\n  strategy: null\n  onFailure: pause\n`,
      errors: [
        'r.yaml:1:13: apiVersion: must be "sluice.dev/v1alpha1", got "sluice.dev/v1"',
        'r.yaml:2:7: kind: must be "Rollout", got "Rolout"; did you mean "Rollout"?',
        'r.yaml:3:11: metadata: must be a mapping, got "checkout"',
        'r.yaml:5:12: spec.service: must be a mapping, got a list',
        'r.yaml:6:13: spec.strategy: must be a mapping, got null',
        'r.yaml:7:14: spec.onFailure: must be "rollback", got "pause"',
      ],
    },
    {
      name: 'a document that is not a mapping',
      yaml: `- just\n- a list\n`,
      errors: ['r.yaml:1:1: must be a mapping, got a list'],
    },
  ])('$name', ({ yaml, errors }) => {
    const result = parseRolloutDocuments(yaml, 'r.yaml');
    expect(result.errors.map(formatSpecError)).toEqual(errors);
    expect(result.rollouts).toEqual([]);
  });
});

describe('parseRolloutDocuments: files', () => {
  it('reports every error of every document and keeps the valid ones', () => {
    const text = `${HEAD}${STEPS}---\n${HEAD.replace('checkout', 'second')}  strategy: {canary: {steps: [{setWeight: 101}]}}\n  analysis: {intervall: 1m}\n---\n# comment only\n---\n${HEAD.replace('checkout', 'third')}${STEPS}`;
    const { rollouts, errors } = parseRolloutDocuments(text, 'multi.yaml');
    expect(rollouts.map((r) => r.metadata.name)).toEqual(['checkout', 'third']);
    expect(errors.map(formatSpecError)).toEqual([
      'multi.yaml:23:43: spec.strategy.canary.steps[0].setWeight: must be an integer from 0 to 100, got 101',
      'multi.yaml:24:13: spec.analysis: needs "metrics" (threshold checks), "judge" (the sequential judge) or both',
      'multi.yaml:24:14: spec.analysis.intervall: unknown field; did you mean "interval"?',
    ]);
  });

  it('rejects two rollouts with the same name in one file', () => {
    const { rollouts, errors } = parseRolloutDocuments(`${HEAD}${STEPS}---\n${HEAD}${STEPS}`, 'dup.yaml');
    expect(rollouts).toHaveLength(1);
    expect(errors.map(formatSpecError)).toEqual(['dup.yaml:17:9: metadata.name: rollout "checkout" is already defined in this file (line 4); names must be unique']);
  });

  it('reports malformed YAML with its position and still reads the other documents', () => {
    const text = `${HEAD}${STEPS}---\nkey: [unclosed\nother: {a: 1\n---\n${HEAD.replace('checkout', 'fine')}${STEPS}`;
    const { rollouts, errors } = parseRolloutDocuments(text, 'bad.yaml');
    expect(rollouts.map((r) => r.metadata.name)).toEqual(['checkout', 'fine']);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e).toMatchObject({ file: 'bad.yaml', path: '' });
      expect(e.message).toMatch(/^invalid YAML: /);
      expect(e.line).toBeGreaterThanOrEqual(14);
      expect(e.line).toBeLessThanOrEqual(16);
    }
  });

  it('reports duplicate keys as YAML errors at the repeated key', () => {
    const { errors } = parseRolloutDocuments(`${HEAD}${STEPS}spec: {}\n`, 'k.yaml');
    expect(errors.map(formatSpecError)).toEqual(['k.yaml:13:1: invalid YAML: Map keys must be unique']);
  });

  it('reports an empty file', () => {
    for (const text of ['', '# nothing here\n', '---\n---\n']) {
      expect(errorsOf(text)).toEqual(['r.yaml:1:1: no documents found; expected a Rollout (apiVersion: sluice.dev/v1alpha1, kind: Rollout)']);
    }
  });
});

describe('validateRollout (JSON bodies)', () => {
  const body = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout' },
    spec: {
      service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }] } },
    },
  };

  it('returns the normalised rollout', () => {
    const { rollout, errors } = validateRollout(body);
    expect(errors).toEqual([]);
    expect(rollout?.spec.steps).toEqual([{ setWeight: 20 }, { pause: { duration: 60_000 } }]);
    expect(rollout?.spec.onInconclusive).toBe('pause');
  });

  it('reports every error with field paths and no positions', () => {
    const bad = structuredClone(body) as Record<string, any>;
    bad.spec.strategy.canary.steps[0].setWeight = 150;
    bad.spec.strategy.canary.steps[1].pause.duration = -3;
    bad.spec.extra = true;
    const { rollout, errors } = validateRollout(bad, 'request body');
    expect(rollout).toBeUndefined();
    expect(errors).toEqual([
      { file: 'request body', path: 'spec.extra', message: 'unknown field; allowed fields are service, flag, strategy, analysis, onFailure, onInconclusive, hooks, notifications, undoWindow, progressDeadline' },
      { file: 'request body', path: 'spec.strategy.canary.steps[0].setWeight', message: 'must be an integer from 0 to 100, got 150' },
      { file: 'request body', path: 'spec.strategy.canary.steps[1].pause.duration', message: 'must not be negative, got -3; expected a duration such as 30s, 5m or 1h30m' },
    ]);
    expect(formatSpecError(errors[0])).toBe('request body: spec.extra: unknown field; allowed fields are service, flag, strategy, analysis, onFailure, onInconclusive, hooks, notifications, undoWindow, progressDeadline');
  });

  it('rejects non-objects', () => {
    expect(validateRollout('nope').errors).toEqual([{ path: '', message: 'must be a mapping, got "nope"' }]);
  });
});
