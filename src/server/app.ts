import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Controller } from '../controller/controller.js';
import type { Logger } from '../log/logger.js';
import { rolloutJsonSchema } from '../spec/index.js';
import type { TokenStore } from '../store/token-store.js';
import { API_MARKER_HEADER, API_MARKER_VALUE } from './api-marker.js';
import { registerAuth } from './auth.js';
import { registerTokenRoutes } from './auth-routes.js';
import { ApiError, toApiError } from './errors.js';
import type { FlagService } from '../flags/service.js';
import { registerFlagRoutes } from './flags-routes.js';
import { registerFlagSdkRoutes } from './flags-sdk-routes.js';
import { registerOfrepRoutes } from './ofrep-routes.js';
import { registerEventRoutes, type EventHistory } from './events-routes.js';
import { buildOpenApi, collectRoutes, defaultOptionalBodies } from './openapi.js';
import { fromValidationError } from './openapi-validation.js';
import { registerRolloutRoutes } from './rollouts-routes.js';
import { registerWebRoutes, type WebRouteOptions } from './web-routes.js';
import type { LiveStats } from './views.js';

export interface AppOptions {
  controller: Controller;
  /** Prometheus text exposition of the data plane's counters. */
  metricsText: () => string;
  live: LiveStats;
  logger: Logger;
  /** Largest request body accepted, bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Bearer-token auth: every route needs a token with its declared role (`config.role`), except public ones. */
  auth: { tokens: TokenStore; /** `/metrics` without a token (default true). */ publicMetrics?: boolean };
  /** Stored events, replayed to event-stream clients that resume (Last-Event-ID). */
  history: EventHistory;
  /** Event stream timing (tests shorten it). */
  stream?: { intervalMs?: number; heartbeatMs?: number };
  now?: () => number;
  /** Feature flags: management under /api/v1, OFREP under /ofrep/v1 and SDK definitions under /sdk/v1 (client keys). */
  flags?: FlagService;
  /** The dashboard's static files at `/` (default: dist/web of this package). */
  web?: WebRouteOptions;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** The control-plane HTTP API: `/api/v1/…`, `/healthz`, `/metrics`. */
export function buildApp(opts: AppOptions): FastifyInstance {
  // Bodies are validated as sent: no type coercion, unknown fields rejected rather than dropped.
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } } });
  const routes = collectRoutes(app);
  defaultOptionalBodies(app);
  // Before auth, so a refusal carries it too.
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.header(API_MARKER_HEADER, API_MARKER_VALUE);
    done();
  });
  registerAuth(app, { tokens: opts.auth.tokens, now: opts.now });
  // Response schemas document what is sent (OpenAPI); they never reshape it, so a field missing from a schema is never silently dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ApiError(400, 'SLUICE_BAD_JSON', `the request body is not valid JSON (${(err as Error).message}); send a JSON object or a YAML document with Content-Type: application/yaml`), undefined);
    }
  });

  app.addHook('onResponse', (req, reply, done) => {
    opts.logger.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    done();
  });

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    const api = fromValidationError(err) ?? toApiError(err);
    if (api.status >= 500) opts.logger.error({ err }, 'request failed');
    void reply.status(api.status).send({ error: { code: api.code, message: api.message, ...(api.details ? { details: api.details } : {}) } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'SLUICE_NO_SUCH_ENDPOINT', message: `no endpoint ${req.method} ${req.url}; the API lives under /api/v1` } });
  });

  app.get('/healthz', { config: { role: 'public' }, schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ ok: true }));
  const metricsRole = opts.auth.publicMetrics === false ? 'viewer' : 'public';
  const metricsSchema = { summary: 'Prometheus metrics of the data plane', tags: ['operations'], response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } };
  app.get('/metrics', { config: { role: metricsRole }, schema: metricsSchema }, async (_req, reply) => {
    void reply.type('text/plain; version=0.0.4; charset=utf-8');
    return opts.metricsText();
  });
  registerWebRoutes(app, opts.web);

  void app.register(
    async (api) => {
      registerRolloutRoutes(api, opts.controller, opts.live);
      registerEventRoutes(api, { controller: opts.controller, history: opts.history, live: opts.live, logger: opts.logger, now: opts.now, flags: opts.flags, ...opts.stream });
      registerTokenRoutes(api, { tokens: opts.auth.tokens, logger: opts.logger, now: opts.now ?? Date.now });
      if (opts.flags) registerFlagRoutes(api, opts.flags);
      let doc: unknown;
      api.get('/openapi.json', { config: { role: 'viewer' }, schema: { summary: 'This document', tags: ['operations'] } }, async () => {
        doc ??= buildOpenApi(routes, api.getSchemas(), { title: 'Sluice control-plane API', version: 'v1', components: { Rollout: rolloutJsonSchema() } });
        return doc;
      });
    },
    { prefix: '/api/v1' },
  );
  if (opts.flags) {
    registerOfrepRoutes(app, opts.flags, { heartbeatMs: opts.stream?.heartbeatMs });
    registerFlagSdkRoutes(app, opts.flags, { heartbeatMs: opts.stream?.heartbeatMs });
  }
  return app;
}
