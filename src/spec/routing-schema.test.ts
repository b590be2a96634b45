import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseRolloutDocuments } from './parse-rollout.js';
import { rolloutJsonSchema } from './json-schema.js';
import { formatSpecError } from './spec-error.js';
import type { Rollout } from './types.js';
import { splitRoutes, stableRoutes } from '../engine/draft.js';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';

// Lines 1–9; the cases append from line 10 on.
const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: shop
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
`;
const STEPS = `  strategy:
    canary:
      steps: [{setWeight: 20}]
`;
const ANALYSIS = `  analysis:
    interval: 10s
    metrics: [{name: success-rate, min: 99}]
`;

const validateSchema = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true }).compile(rolloutJsonSchema());

function errorsOf(text: string): string[] {
  return parseRolloutDocuments(text, 'r.yaml').errors.map(formatSpecError);
}

function rolloutOf(text: string): Rollout {
  const { rollouts, errors } = parseRolloutDocuments(text, 'r.yaml');
  expect(errors.map(formatSpecError)).toEqual([]);
  expect(validateSchema(parseYaml(text)), JSON.stringify(validateSchema.errors)).toBe(true);
  return rollouts[0];
}

describe('spec.service.stickiness', () => {
  it('takes a header key (name lowercased) and carries it into the routes of every step', () => {
    const r = rolloutOf(`${HEAD}    stickiness: {header: X-User-Id}\n${STEPS}`);
    expect(r.spec.service.stickiness).toEqual({ header: 'x-user-id' });
    expect(splitRoutes(r.spec, 20).stickiness).toEqual({ header: 'x-user-id' });
  });

  it('expands anonymousCookie: true to the default cookie, and reads {name, maxAge}', () => {
    expect(rolloutOf(`${HEAD}    stickiness: {cookie: uid, anonymousCookie: true}\n${STEPS}`).spec.service.stickiness).toEqual({
      cookie: 'uid',
      anonymousCookie: { name: 'sluice-key', maxAge: 720 * 3_600_000 },
    });
    expect(rolloutOf(`${HEAD}    stickiness: {anonymousCookie: {name: visitor, maxAge: 1h}}\n${STEPS}`).spec.service.stickiness).toEqual({
      anonymousCookie: { name: 'visitor', maxAge: 3_600_000 },
    });
  });

  it.each([
    ['{header: x-user-id, cookie: uid}', 'r.yaml:10:37: spec.service.stickiness.cookie: cannot be used together with "header"; the key comes from one of them'],
    ['{}', 'r.yaml:10:17: spec.service.stickiness: needs "header" or "cookie" (where the key is), or "anonymousCookie: true"'],
    ['{header: "x user"}', 'r.yaml:10:26: spec.service.stickiness.header: must be an HTTP header name such as x-user-id, got "x user"'],
    ['{anonymousCookie: yes}', 'r.yaml:10:35: spec.service.stickiness.anonymousCookie: must be true, false or {name, maxAge}, got "yes"'],
  ])('rejects stickiness %s', (value, error) => {
    expect(errorsOf(`${HEAD}    stickiness: ${value}\n${STEPS}`)).toEqual([error]);
  });
});

describe('strategy.canary.match and mirror', () => {
  it('normalises header, cookie and query rules into the routes; a rollback drops them', () => {
    const r = rolloutOf(`${HEAD}  strategy:
    canary:
      steps: [{setWeight: 20}]
      match:
        - headers: {X-Canary: {exact: "true"}}
        - cookies: {beta: {prefix: "yes"}}
          query: {v: {regex: "^2(\\\\.[0-9]+)?$"}}
      mirror: {percent: 25}
`);
    expect(r.spec.match).toEqual([{ headers: { 'x-canary': { exact: 'true' } } }, { cookies: { beta: { prefix: 'yes' } }, query: { v: { regex: '^2(\\.[0-9]+)?$' } } }]);
    expect(r.spec.mirror).toEqual({ percent: 25 });
    const routes = splitRoutes(r.spec, 20);
    expect(routes.match).toEqual(r.spec.match);
    expect(routes.mirror).toEqual({ percent: 25 });
    const back = stableRoutes(r.spec);
    expect(back.canaryWeight).toBe(0);
    expect(back).not.toHaveProperty('match');
    expect(back).not.toHaveProperty('mirror');
  });

  it.each([
    ['a backreference', '{headers: {x-a: {regex: "(a)\\\\1"}}}', /regex: cannot be matched in linear time \(it uses a backreference/],
    ['lookahead', '{headers: {x-a: {regex: "^(?=v2)"}}}', /regex: cannot be matched in linear time/],
    ['a broken pattern', '{headers: {x-a: {regex: "v2("}}}', /regex: is not a valid regular expression \(\/v2\(\/: Unterminated group\)/],
    ['a pattern too long', `{headers: {x-a: {regex: "${'a'.repeat(300)}"}}}`, /regex: must be at most 256 characters long, got 300/],
    ['two comparisons', '{headers: {x-a: {exact: a, prefix: b}}}', /x-a\.prefix: cannot be combined with "exact"/],
    ['no comparison', '{headers: {x-a: {}}}', /x-a: must have one of "exact", "prefix", "regex"/],
    ['an empty rule', '{}', /match\[0\]: needs at least one condition under headers, cookies or query/],
    ['an unknown source', '{header: {x-a: {exact: a}}}', /match\[0\]\.header: unknown field; did you mean "headers"\?/],
    ['a header name with a space', '{headers: {"x a": {exact: a}}}', /headers\["x a"\]: must be an HTTP header name/],
  ])('rejects a match rule with %s, naming the field', (_what, rule, error) => {
    const errors = errorsOf(`${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n      match: [${rule}]\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^r\.yaml:13:\d+: spec\.strategy\.canary\.match\[0\]/);
    expect(errors[0]).toMatch(error);
  });

  it('rejects the same header twice in different case', () => {
    expect(errorsOf(`${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n      match: [{headers: {X-A: {exact: a}, x-a: {exact: b}}}]\n`)).toEqual([
      'r.yaml:13:43: spec.strategy.canary.match[0].headers.x-a: repeats header "x-a" (header names are case-insensitive); give each header once',
    ]);
  });

  it('accepts mirror-* builtin metrics, with the units of the metric they mirror', () => {
    const r = rolloutOf(`${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n      mirror: {percent: 50}\n  analysis:\n    metrics: [{name: mirror-success-rate, min: 99}, {name: mirror-latency-p99, maxRatio: 1.5}]\n`);
    expect(r.spec.analysis?.metrics.map((m) => m.name)).toEqual(['mirror-success-rate', 'mirror-latency-p99']);
    expect(errorsOf(`${HEAD}${STEPS}  analysis:\n    metrics: [{name: mirror-error-rate, max: 120}]\n`)).toEqual([
      'r.yaml:14:46: spec.analysis.metrics[0].max: mirror-error-rate is a percentage: must be from 0 to 100, got 120',
    ]);
  });

  it.each([['0', 'must be a number from 0.01 to 100, got 0'], ['150', 'must be a number from 0.01 to 100, got 150']])('rejects mirror percent %s', (p, msg) => {
    expect(errorsOf(`${HEAD}  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n      mirror: {percent: ${p}}\n`)).toEqual([`r.yaml:13:25: spec.strategy.canary.mirror.percent: ${msg}`]);
  });
});

describe('strategy.abTest', () => {
  const AB = `  strategy:
    abTest:
      match: [{headers: {x-beta: {exact: "1"}}}]
      iterations: 5
      interval: 2s
`;

  it('becomes one analysis step of `iterations` checks at weight 0 with the rules on the routes', () => {
    const r = rolloutOf(`${HEAD}${AB}${ANALYSIS}`);
    expect(r.spec.steps).toEqual([{ analysis: { checks: 5 } }]);
    expect(r.spec.abTest).toEqual({ iterations: 5 });
    expect(r.spec.match).toEqual([{ headers: { 'x-beta': { exact: '1' } } }]);
    expect(r.spec.analysis?.interval).toBe(2000);
    const routes = splitRoutes(r.spec, 0);
    expect(routes.canaryWeight).toBe(0);
    expect(routes.match).toEqual(r.spec.match);
  });

  it('keeps spec.analysis.interval when the A/B test gives none', () => {
    const r = rolloutOf(`${HEAD}  strategy:\n    abTest:\n      match: [{query: {beta: {exact: "1"}}}]\n      iterations: 2\n${ANALYSIS}`);
    expect(r.spec.analysis?.interval).toBe(10_000);
  });

  it('needs spec.analysis, match rules and iterations', () => {
    expect(errorsOf(`${HEAD}${AB}`)).toEqual(['r.yaml:11:5: spec.strategy.abTest: needs an analysis section (spec.analysis) to judge the matched traffic; add one']);
    expect(errorsOf(`${HEAD}  strategy:\n    abTest: {iterations: 0}\n${ANALYSIS}`)).toEqual([
      'r.yaml:11:13: spec.strategy.abTest.match: missing required field (A/B rules: a request satisfying any rule goes to the canary whatever the weight (all conditions of one rule must hold))',
      'r.yaml:11:26: spec.strategy.abTest.iterations: must be an integer of at least 1, got 0',
    ]);
  });

  it('cannot be combined with the canary strategy, and one of them is needed', () => {
    expect(errorsOf(`${HEAD}${AB}      \n    canary: {steps: [{setWeight: 5}]}\n${ANALYSIS}`)).toEqual([
      'r.yaml:11:5: spec.strategy.abTest: cannot be used together with "canary"; choose one strategy',
    ]);
    expect(errorsOf(`${HEAD}  strategy: {}\n`)).toEqual(['r.yaml:10:13: spec.strategy: needs "canary" (weighted steps), "abTest" (A/B test on match rules) or "blueGreen" (a preview, then all traffic at once)']);
  });
});

describe('examples/invalid/bad-routing.yaml', () => {
  it('reports every routing problem at its line, with what to do', () => {
    const text = readFileSync(new URL('../../examples/invalid/bad-routing.yaml', import.meta.url), 'utf8');
    expect(parseRolloutDocuments(text, 'bad-routing.yaml').errors.map(formatSpecError)).toEqual([
      'bad-routing.yaml:11:37: spec.service.stickiness.cookie: cannot be used together with "header"; the key comes from one of them',
      'bad-routing.yaml:16:39: spec.strategy.canary.match[0].headers.x-canary.regex: cannot be matched in linear time (it uses a backreference, lookahead/lookbehind or a large counted repetition such as a{1000}); rewrite it without them, or use an exact or prefix rule',
      'bad-routing.yaml:17:40: spec.strategy.canary.match[1].cookies.beta.prefix: cannot be combined with "exact"; each entry has exactly one of "exact", "prefix", "regex"',
      'bad-routing.yaml:18:18: spec.strategy.canary.match[2].query: must name at least one query parameter',
      'bad-routing.yaml:19:25: spec.strategy.canary.mirror.percent: must be a number from 0.01 to 100, got 0',
    ]);
  });
});
