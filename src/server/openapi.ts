import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * The OpenAPI 3.1 document, generated from the Fastify route schemas that
 * also validate requests: one description, so the two cannot drift apart.
 */

type Json = Record<string, unknown>;

interface CollectedRoute {
  method: string;
  url: string;
  schema: Json;
  config: Json;
}

declare module 'fastify' {
  /** Documentation-only keys of a route schema, copied into the OpenAPI document. */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
    /** Leave the route out of the document. */
    hide?: boolean;
  }
  interface FastifyContextConfig {
    /** The body may be left out (it is then `{}`); the OpenAPI document marks it optional. */
    optionalBody?: boolean;
  }
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Shown in place of the shared schema of the same $id (e.g. a fuller schema the route leaves to another validator). */
  components?: Record<string, Json>;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'stable machine-readable code, e.g. SLUICE_FORBIDDEN' },
        message: { type: 'string', description: 'what went wrong and what to do' },
        details: { description: 'structured detail, e.g. {errors: [{path, message}]} for invalid input' },
      },
    },
  },
};

/** Remembers every route added after this call: call it before adding routes. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: (route.schema ?? {}) as Json, config: (route.config ?? {}) as Json });
    }
  });
  return routes;
}

/** A route with `config.optionalBody` sees `{}` when the body is left out. */
export function defaultOptionalBodies(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config.optionalBody && (req.body === undefined || req.body === null)) req.body = {};
  });
}

/** Builds the document from the collected routes and the app's shared schemas. */
export function buildOpenApi(routes: readonly CollectedRoute[], shared: Record<string, unknown>, info: OpenApiInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    if (r.schema.hide === true || r.url.includes('*')) continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r);
  }
  const schemas: Record<string, unknown> = { Error: ERROR_SCHEMA };
  for (const [id, schema] of Object.entries(shared)) {
    const { $id: _id, ...rest } = schema as Json;
    schemas[id] = rest;
  }
  for (const [id, schema] of Object.entries(info.components ?? {})) {
    const { $id: _id, $schema: _dialect, ...rest } = schema;
    schemas[id] = rest;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'a Sluice token: `sluice token create --role ROLE --name NAME`' } },
      schemas: toRefs(schemas),
    },
  };
}

function operation(r: CollectedRoute): Json {
  const role = (r.config.role as string | undefined) ?? 'admin';
  const op: Json = {
    operationId: operationId(r.method, r.url),
    ...(r.schema.summary ? { summary: r.schema.summary } : {}),
    ...(r.schema.description ? { description: r.schema.description } : {}),
    ...(r.schema.tags ? { tags: r.schema.tags } : {}),
    'x-sluice-role': role,
  };
  if (role === 'public') op.security = [];
  const parameters = [
    ...params(r.schema.params, 'path'),
    ...params(r.schema.querystring, 'query'),
    ...params(r.schema.headers, 'header'),
  ];
  if (parameters.length) op.parameters = parameters;
  const body = r.schema.body as Json | undefined;
  if (body) {
    const content = body.content
      ? Object.fromEntries(Object.entries(body.content as Record<string, Json>).map(([type, c]) => [type, { schema: toRefs(c.schema) }]))
      : { 'application/json': { schema: toRefs(body) } };
    op.requestBody = { required: r.config.optionalBody !== true, content };
  }
  const responses: Json = {};
  for (const [status, schema] of Object.entries((r.schema.response ?? {}) as Record<string, Json>)) {
    const { description, content, ...rest } = schema;
    const media = content
      ? Object.fromEntries(Object.entries(content as Record<string, Json>).map(([type, c]) => [type, { schema: toRefs(c.schema) }]))
      : { 'application/json': { schema: toRefs(rest) } };
    responses[status] = { description: (description as string | undefined) ?? 'success', content: media };
  }
  if (!Object.keys(responses).length) responses['200'] = { description: 'success' };
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  if (body || r.schema.querystring || r.schema.params) responses['400'] = error('invalid input: the message and details name each bad field');
  if (role !== 'public') {
    responses['401'] = error('no token, or a token that is unknown or revoked');
    responses['403'] = error(`the token's role is below ${role}`);
  }
  if (r.schema.params) responses['404'] = error('no such resource');
  responses.default = error('any other error, with a stable code');
  op.responses = responses;
  return op;
}

function params(schema: unknown, where: 'path' | 'query' | 'header'): Json[] {
  const s = schema as { properties?: Record<string, Json>; required?: string[] } | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, p]) => {
    const { description, ...rest } = p;
    return {
      name,
      in: where,
      required: where === 'path' || (s.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: toRefs(rest),
    };
  });
}

/** Fastify's shared-schema references ("Name#") become component references. */
function toRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(toRefs) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    out[k] = k === '$ref' && typeof v === 'string' && /^[A-Za-z0-9_.-]+#$/.test(v) ? `#/components/schemas/${v.slice(0, -1)}` : toRefs(v);
  }
  return out as T;
}

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1/, '')
    .split('/')
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? 'by-' + w.slice(1) : w));
  return [method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase());
}
