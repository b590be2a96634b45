import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Controller } from '../controller/controller.js';
import type { Logger } from '../log/logger.js';
import { ApiError, toApiError } from './errors.js';
import { registerRolloutRoutes } from './rollouts-routes.js';
import type { LiveStats } from './views.js';

export interface AppOptions {
  controller: Controller;
  /** Prometheus text exposition of the data plane's counters. */
  metricsText: () => string;
  live: LiveStats;
  logger: Logger;
  /** Largest request body accepted, bytes (default 1 MiB). */
  bodyLimit?: number;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** The control-plane HTTP API: `/api/v1/…`, `/healthz`, `/metrics`. */
export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024 });

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
    const api = toApiError(err);
    if (api.status >= 500) opts.logger.error({ err }, 'request failed');
    void reply.status(api.status).send({ error: { code: api.code, message: api.message, ...(api.details ? { details: api.details } : {}) } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'SLUICE_NO_SUCH_ENDPOINT', message: `no endpoint ${req.method} ${req.url}; the API lives under /api/v1` } });
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) => {
    void reply.type('text/plain; version=0.0.4; charset=utf-8');
    return opts.metricsText();
  });

  void app.register(
    async (api) => {
      registerRolloutRoutes(api, opts.controller, opts.live);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
