import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp, testRolloutYaml } from './auth-testing.js';
import { rolloutView } from './views.js';

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

function setup() {
  const t = testApp();
  close = () => t.app.close();
  return t;
}

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { 'x-sluice-role': string; security?: unknown[]; parameters?: Array<{ name: string; in: string }>; requestBody?: { required: boolean; content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

describe('OpenAPI document', () => {
  it('describes every route with its role, parameters and bodies, from the route schemas', async () => {
    const t = setup();
    const res = await t.app.inject({ url: '/api/v1/openapi.json', headers: t.bearer('viewer') });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as Doc;
    expect(doc.openapi).toBe('3.1.0');

    // Every documented operation is a route Fastify serves, and the API's endpoints are all documented.
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), url: p.replace(/\{([a-z]+)\}/g, ':$1') })));
    for (const r of listed) expect(t.app.hasRoute(r as { method: 'GET'; url: string }), `${r.method} ${r.url}`).toBe(true);
    const endpoints = listed.map((r) => `${r.method} ${r.url}`);
    for (const verb of ['promote', 'abort', 'pause', 'resume', 'retry']) expect(endpoints).toContain(`POST /api/v1/rollouts/:name/${verb}`);
    expect(endpoints).toEqual(expect.arrayContaining(['GET /api/v1/rollouts/:name', 'GET /api/v1/rollouts/:name/events', 'DELETE /api/v1/rollouts/:name', 'GET /api/v1/tokens', 'DELETE /api/v1/tokens/:id', 'GET /api/v1/whoami', 'GET /api/v1/openapi.json']));
    expect(endpoints.filter((e) => e.startsWith('HEAD'))).toEqual([]);

    const roles = Object.fromEntries(Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => [`${m} ${p}`, op['x-sluice-role']])));
    expect(roles).toMatchObject({
      'get /healthz': 'public',
      'get /metrics': 'public',
      'get /api/v1/rollouts': 'viewer',
      'post /api/v1/rollouts': 'admin',
      'post /api/v1/rollouts/{name}/abort': 'operator',
      'delete /api/v1/rollouts/{name}': 'admin',
      'get /api/v1/events': 'viewer',
      'post /api/v1/tokens': 'admin',
    });
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
    expect(doc.paths['/api/v1/rollouts/{name}/events']!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['path:name', 'query:after', 'query:limit']);
    const promote = doc.paths['/api/v1/rollouts/{name}/promote']!.post!;
    expect(promote.requestBody).toEqual({ required: false, content: { 'application/json': { schema: expect.objectContaining({ properties: { full: expect.objectContaining({ type: 'boolean' }) } }) } } });
    const apply = doc.paths['/api/v1/rollouts']!.post!.requestBody!;
    expect(Object.keys(apply.content)).toEqual(['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);
    expect(apply.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Rollout' });
    expect(doc.paths['/api/v1/events']!.get!.responses['200']).toMatchObject({ content: { 'text/event-stream': {} } });
    expect(Object.keys(doc.paths['/api/v1/tokens']!.post!.responses)).toEqual(['201', '400', '401', '403', 'default']);
  });

  it('holds valid JSON Schema 2020-12 throughout, and every $ref resolves', async () => {
    const t = setup();
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json', headers: t.bearer('viewer') })).json() as Doc;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    // The full Rollout schema is the spec module's, not the loose one the route validates with.
    expect(doc.components.schemas.Rollout).toMatchObject({ title: 'Sluice Rollout', type: 'object' });
    const refs: string[] = [];
    const schemas: unknown[] = [];
    const walk = (v: unknown, key?: string): void => {
      if (Array.isArray(v)) return v.forEach((x) => walk(x));
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.push(x);
        if (k === 'schema') schemas.push(x);
        walk(x, k);
      }
      void key;
    };
    walk(doc.paths);
    expect(schemas.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeDefined();
    }
    for (const s of schemas) {
      const rewritten = JSON.parse(JSON.stringify(s).replaceAll('"#/components', '"doc#/components'));
      expect(() => ajv.compile(rewritten), JSON.stringify(s).slice(0, 200)).not.toThrow();
    }
  });
});

describe('responses', () => {
  it('answer what the document says: real responses validate against their documented schemas', async () => {
    const t = setup();
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json', headers: t.bearer('viewer') })).json() as Doc;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const checked: string[] = [];
    const check = async (method: 'GET' | 'POST' | 'DELETE', url: string, path: string, opts: { role?: 'viewer' | 'operator' | 'admin'; payload?: string; type?: string } = {}) => {
      const headers = { ...(opts.role ? t.bearer(opts.role) : {}), ...(opts.type ? { 'content-type': opts.type } : {}) };
      const res = await t.app.inject({ method, url, headers, payload: opts.payload });
      const responses = doc.paths[path]![method.toLowerCase()]!.responses;
      const documented = (responses[String(res.statusCode)] ?? (res.statusCode >= 400 ? responses.default : undefined)) as { content: Record<string, { schema: unknown }> } | undefined;
      expect(documented, `${method} ${url} answered ${res.statusCode}, which is not documented`).toBeDefined();
      const schema = JSON.parse(JSON.stringify(documented!.content['application/json']!.schema).replaceAll('"#/components', '"doc#/components'));
      const validate = ajv.compile(schema);
      expect(validate(res.json()), `${method} ${url} ${res.statusCode}: ${JSON.stringify(validate.errors)}`).toBe(true);
      checked.push(`${method} ${url} ${res.statusCode}`);
      return res;
    };
    await check('POST', '/api/v1/rollouts', '/api/v1/rollouts', { role: 'admin', payload: testRolloutYaml('web', 18814), type: 'application/yaml' });
    await check('POST', '/api/v1/rollouts', '/api/v1/rollouts', { role: 'admin', payload: testRolloutYaml('web', 18814), type: 'application/yaml' });
    await check('GET', '/api/v1/rollouts', '/api/v1/rollouts', { role: 'viewer' });
    await check('GET', '/api/v1/rollouts/web', '/api/v1/rollouts/{name}', { role: 'viewer' });
    await check('GET', '/api/v1/rollouts/web/events', '/api/v1/rollouts/{name}/events', { role: 'viewer' });
    await check('POST', '/api/v1/rollouts/web/promote', '/api/v1/rollouts/{name}/promote', { role: 'operator' });
    await check('POST', '/api/v1/rollouts/web/abort', '/api/v1/rollouts/{name}/abort', { role: 'operator' });
    await check('GET', '/api/v1/rollouts/nope', '/api/v1/rollouts/{name}', { role: 'viewer' });
    await check('GET', '/api/v1/rollouts', '/api/v1/rollouts');
    await check('GET', '/api/v1/rollouts', '/api/v1/rollouts', { role: 'viewer', payload: undefined });
    await check('POST', '/api/v1/tokens', '/api/v1/tokens', { role: 'admin', payload: '{"name":"ci","role":"operator"}', type: 'application/json' });
    await check('POST', '/api/v1/tokens', '/api/v1/tokens', { role: 'admin', payload: '{"name":"ci","role":"nobody"}', type: 'application/json' });
    await check('POST', '/api/v1/tokens', '/api/v1/tokens', { role: 'operator', payload: '{"name":"x","role":"viewer"}', type: 'application/json' });
    await check('GET', '/api/v1/tokens', '/api/v1/tokens', { role: 'admin' });
    await check('GET', '/api/v1/whoami', '/api/v1/whoami', { role: 'viewer' });
    expect(checked).toContain('POST /api/v1/rollouts 201');
    expect(checked).toContain('POST /api/v1/rollouts 200');
    expect(checked).toContain('GET /api/v1/rollouts/nope 404');
    expect(checked).toContain('POST /api/v1/tokens 403');
    expect(checked).toContain('POST /api/v1/rollouts/web/abort 409');
  });
});

describe('input validation from the route schemas', () => {
  it('answers a bad body with 400 SLUICE_INVALID_REQUEST naming each field', async () => {
    const t = setup();
    await t.apply(testRolloutYaml('web', 18811));
    const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: t.bearer('admin'), payload: payload as object });
    const wrongType = await post('/api/v1/rollouts/web/promote', { full: 'yes' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toEqual({
      code: 'SLUICE_INVALID_REQUEST',
      message: 'invalid request body: full: must be boolean',
      details: { errors: [{ in: 'body', path: 'full', message: 'must be boolean' }] },
    });
    // No coercion: "true" is not a boolean, and a typo is not silently dropped.
    expect((await post('/api/v1/rollouts/web/promote', { full: 'true' })).statusCode).toBe(400);
    const typo = await post('/api/v1/rollouts/web/promote', { ful: true });
    expect(typo.json().error.message).toBe('invalid request body: ful: is not a known field; remove it or check its spelling');
    expect(t.store.getRollout('web')!.state.phase).toBe('paused');

    const query = await t.app.inject({ url: '/api/v1/rollouts/web/events?after=-1&limt=3', headers: t.bearer('viewer') });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.details.errors.map((e: { path: string }) => e.path).sort()).toEqual(['after', 'limt']);
    expect(query.json().error.message).toMatch(/^invalid query parameters: /);
  });

  it('takes a command without a body, and a spec error still names file, line and field', async () => {
    const t = setup();
    await t.apply(testRolloutYaml('web', 18812));
    const promoted = await t.app.inject({ method: 'POST', url: '/api/v1/rollouts/web/promote', headers: t.bearer('operator') });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json().phase).toBe('promoted');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rollouts',
      headers: { ...t.bearer('admin'), 'content-type': 'application/yaml', 'x-sluice-source': 'bad.yaml' },
      payload: 'apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  servce: {}\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('SLUICE_INVALID_SPEC');
    expect(bad.json().error.details.errors).toContainEqual(expect.objectContaining({ file: 'bad.yaml', line: 5, path: 'spec.servce' }));
  });

  it('returns the whole rollout view: response schemas never drop a field', async () => {
    const t = setup();
    await t.apply(testRolloutYaml('web', 18813));
    const res = await t.app.inject({ url: '/api/v1/rollouts/web', headers: t.bearer('viewer') });
    const expected = JSON.parse(JSON.stringify(rolloutView(t.store.getRollout('web')!, { windowSeconds: 10, stable: { rps: 90, errorRate: 0, p99: 5, requests: 900 }, canary: { rps: 10, errorRate: 0, p99: 6, requests: 100 } })));
    expect(res.json()).toEqual(expected);
    const list = await t.app.inject({ url: '/api/v1/rollouts', headers: t.bearer('viewer') });
    expect(list.json().rollouts[0]).toEqual(expected);
  });
});
