import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { rolloutJsonSchema, serverConfigJsonSchema } from './json-schema.js';
import { parseRolloutDocuments, validateRollout } from './parse-rollout.js';
import { parseServerConfig } from './server-config.js';
import { formatSpecError } from './spec-error.js';

const examples = new URL('../../examples/', import.meta.url);
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
const validateRolloutSchema = ajv.compile(rolloutJsonSchema());
const validateServerSchema = ajv.compile(serverConfigJsonSchema());

const base = () => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout', labels: { team: 'payments' } },
  spec: {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
    strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: '1m' } }, { analysis: { checks: 2 } }, { pause: {} }] } },
    analysis: { interval: 10, failureLimit: 0, inconclusiveLimit: 2, minRequests: 5, metrics: [{ name: 'success-rate', min: 99 }, { name: 'latency-p99', max: 300 }] },
    onFailure: 'rollback',
    onInconclusive: 'rollback',
  },
});

type Json = Record<string, unknown>;

/** Every object node of a schema with its location, walking properties, items and combinators. */
function objectNodes(node: unknown, at = '#'): Array<{ at: string; node: Json }> {
  if (typeof node !== 'object' || node === null) return [];
  const n = node as Json;
  const out: Array<{ at: string; node: Json }> = [];
  const type = n.type;
  if (type === 'object' || (Array.isArray(type) && type.includes('object'))) out.push({ at, node: n });
  for (const [k, v] of Object.entries((n.properties as Json | undefined) ?? {})) out.push(...objectNodes(v, `${at}/properties/${k}`));
  if (n.items) out.push(...objectNodes(n.items, `${at}/items`));
  if (typeof n.additionalProperties === 'object') out.push(...objectNodes(n.additionalProperties, `${at}/additionalProperties`));
  for (const key of ['anyOf', 'oneOf'] as const) {
    (n[key] as unknown[] | undefined)?.forEach((v, i) => out.push(...objectNodes(v, `${at}/${key}/${i}`)));
  }
  return out;
}

/** Paths of every mapping inside a value, as key lists. */
function mappingPaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((v, i) => mappingPaths(v, [...path, i]));
  if (typeof value !== 'object' || value === null) return [];
  return [path, ...Object.entries(value).flatMap(([k, v]) => mappingPaths(v, [...path, k]))];
}

describe('rolloutJsonSchema', () => {
  it('is a draft 2020-12 schema that a strict validator compiles', () => {
    const schema = rolloutJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it('closes every object (additionalProperties: false) except the free-form labels and headers maps', () => {
    const open = objectNodes(rolloutJsonSchema()).filter(({ node }) => node.additionalProperties !== false);
    expect(open.map((o) => o.at)).toEqual([
      '#/properties/metadata/properties/labels',
      ...['canary', 'abTest'].flatMap((s) => ['headers', 'cookies', 'query'].map((m) => `#/properties/spec/properties/strategy/properties/${s}/properties/match/items/properties/${m}`)),
      '#/properties/spec/properties/analysis/properties/metrics/items/properties/provider/properties/http/properties/headers',
      '#/properties/spec/properties/hooks/items/properties/metadata',
    ]);
    for (const { node } of objectNodes(rolloutJsonSchema())) expect(typeof node.description).toBe('string');
  });

  it('publishes the defaults the parser applies, in the input form', () => {
    const analysis = (((rolloutJsonSchema().properties as Json).spec as Json).properties as Json).analysis as Json;
    const props = analysis.properties as Record<string, Json>;
    expect([props.interval.default, props.failureLimit.default, props.inconclusiveLimit.default, props.minRequests.default]).toEqual(['30s', 1, 3, 20]);
    const rollout = validateRollout({ ...base(), spec: { ...base().spec, analysis: { metrics: [{ name: 'success-rate', min: 99 }] } } }).rollout;
    expect(rollout?.spec.analysis).toMatchObject({ interval: 30_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 20 });
  });

  it('accepts the same complete document as the parser', () => {
    expect(validateRolloutSchema(base())).toBe(true);
    expect(validateRollout(base()).errors).toEqual([]);
  });

  it('rejects an unknown field in every mapping, as the parser does', () => {
    const paths = mappingPaths(base()).filter((p) => p.join('.') !== 'metadata.labels');
    expect(paths.length).toBeGreaterThan(15);
    for (const path of paths) {
      const doc = base();
      let target: any = doc;
      for (const seg of path) target = target[seg];
      target.bogusField = 1;
      const where = path.join('.');
      expect(validateRolloutSchema(doc), `schema accepted bogusField at ${where}`).toBe(false);
      const errors = validateRollout(doc).errors;
      expect(errors.map((e) => e.message), `parser at ${where}`).toContainEqual(expect.stringMatching(/^unknown field/));
    }
  });

  it.each([
    ['a weight above 100', (d: any) => { d.spec.strategy.canary.steps[0].setWeight = 150; }],
    ['a duration with an unknown unit', (d: any) => { d.spec.strategy.canary.steps[1].pause.duration = '3d'; }],
    ['a negative duration', (d: any) => { d.spec.analysis.interval = -1; }],
    ['a step with two keys', (d: any) => { d.spec.strategy.canary.steps[0].pause = {}; }],
    ['a step with no key', (d: any) => { d.spec.strategy.canary.steps[0] = {}; }],
    ['steps together with the shorthand', (d: any) => { d.spec.strategy.canary.interval = '1m'; }],
    ['the shorthand without weights', (d: any) => { d.spec.strategy.canary = { interval: '1m' }; }],
    ['both stepWeight and stepWeights', (d: any) => { d.spec.strategy.canary = { interval: '1m', stepWeight: 10, stepWeights: [10] }; }],
    ['a metric without min or max', (d: any) => { d.spec.analysis.metrics[0] = { name: 'success-rate' }; }],
    ['an unknown metric', (d: any) => { d.spec.analysis.metrics[0].name = 'latency-p90'; }],
    ['an https upstream', (d: any) => { d.spec.service.canary.upstreams = ['https://127.0.0.1:9002']; }],
    ['an upstream with a path', (d: any) => { d.spec.service.canary.upstreams = ['http://127.0.0.1:9002/v1']; }],
    ['no upstreams', (d: any) => { d.spec.service.canary.upstreams = []; }],
    ['a bad name', (d: any) => { d.metadata.name = 'Checkout_1'; }],
    ['a listen address without port', (d: any) => { d.spec.service.listen = '127.0.0.1'; }],
    ['a fractional checks count', (d: any) => { d.spec.strategy.canary.steps[2].analysis.checks = 1.5; }],
    ['an unknown onInconclusive', (d: any) => { d.spec.onInconclusive = 'ignore'; }],
    ['a missing spec', (d: any) => { delete d.spec; }],
  ])('both reject %s', (_name, mutate) => {
    const doc = base();
    mutate(doc);
    expect(validateRolloutSchema(doc)).toBe(false);
    expect(validateRollout(doc).errors.length).toBeGreaterThan(0);
  });

  it.each([
    ['the shorthand with stepWeight', (d: any) => { d.spec.strategy.canary = { interval: '1m', stepWeight: 10, maxWeight: 30 }; }],
    ['the shorthand with stepWeights', (d: any) => { d.spec.strategy.canary = { interval: 60, stepWeights: [1, 5, 50] }; }],
    ['a duration in seconds', (d: any) => { d.spec.strategy.canary.steps[1].pause.duration = 0.5; }],
    ['a pause with null for a manual gate', (d: any) => { d.spec.strategy.canary.steps[3].pause = null; }],
    ['no analysis and no analysis steps', (d: any) => { delete d.spec.analysis; d.spec.strategy.canary.steps.splice(2, 1); }],
    ['no labels', (d: any) => { delete d.metadata.labels; }],
  ])('both accept %s', (_name, mutate) => {
    const doc = base();
    mutate(doc);
    expect(validateRolloutSchema(doc), JSON.stringify(validateRolloutSchema.errors)).toBe(true);
    expect(validateRollout(doc).errors).toEqual([]);
  });
});

describe('examples', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));

  it('exist', () => {
    expect(files).toEqual(expect.arrayContaining(['canary-steps.yaml', 'canary-shorthand.yaml', 'manual-gate.yaml']));
  });

  it.each(files)('%s parses without errors and validates against the JSON Schema', (file) => {
    const text = readFileSync(new URL(file, examples), 'utf8');
    const { rollouts, errors } = parseRolloutDocuments(text, file);
    expect(errors.map(formatSpecError)).toEqual([]);
    expect(rollouts.length).toBeGreaterThan(0);
    for (const doc of parseAllDocuments(text)) {
      expect(validateRolloutSchema(doc.toJS()), JSON.stringify(validateRolloutSchema.errors)).toBe(true);
    }
  });

  it('invalid/several-errors.yaml reports all its problems at once', () => {
    const text = readFileSync(new URL('invalid/several-errors.yaml', examples), 'utf8');
    expect(parseRolloutDocuments(text, 'several-errors.yaml').errors.map(formatSpecError)).toEqual([
      'several-errors.yaml:17:29: spec.strategy.canary.steps[1].pause.duration: must not be negative, got "-30s"; expected a duration such as 30s, 5m or 1h30m',
      'several-errors.yaml:18:22: spec.strategy.canary.steps[2].setWeight: must be an integer from 0 to 100, got 150',
      'several-errors.yaml:20:5: spec.analysis.intervall: unknown field; did you mean "interval"?',
    ]);
    expect(validateRolloutSchema(parseYaml(text))).toBe(false);
  });

  it('invalid/malformed.yaml reports the YAML error with its position', () => {
    const text = readFileSync(new URL('invalid/malformed.yaml', examples), 'utf8');
    const { rollouts, errors } = parseRolloutDocuments(text, 'malformed.yaml');
    expect(rollouts).toEqual([]);
    expect(errors.map(formatSpecError)).toEqual([
      'malformed.yaml:11:5: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });
});

describe('serverConfigJsonSchema', () => {
  it('agrees with parseServerConfig', () => {
    expect(ajv.validateSchema(serverConfigJsonSchema())).toBe(true);
    const good = { apiVersion: 'sluice.dev/v1alpha1', kind: 'ServerConfig', spec: { api: '0.0.0.0:7070', logLevel: 'debug' } };
    expect(validateServerSchema(good)).toBe(true);
    expect(parseServerConfig(JSON.stringify(good), 'c.yaml').errors).toEqual([]);
    const bad = { ...good, spec: { ...good.spec, logLevl: 'debug' } };
    expect(validateServerSchema(bad)).toBe(false);
    expect(parseServerConfig(JSON.stringify(bad), 'c.yaml').errors).toHaveLength(1);
  });
});
