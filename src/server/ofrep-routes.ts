import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_KEY_PREFIX, clientKeyFromHeaders } from '../flags/client-keys.js';
import type { EvaluationResult } from '../flags/evaluator.js';
import type { FlagService } from '../flags/service.js';
import { formatSse, SseHub } from '../flags/sse.js';
import type { ClientKeyRecord } from '../store/flag-store.js';
import { ApiError } from './errors.js';

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP) for one environment per
 * client key: single-flag and bulk evaluation (ETag / 304), the configuration
 * endpoint, and change notifications over Server-Sent Events (ADR 0008: the
 * bulk response names the stream in `eventStreams` — and `refreshConnections`,
 * the ADR's earlier name — and each change sends `refetchEvaluation`).
 */

const PUBLIC = { config: { role: 'public' } } as const;
const TAGS = ['ofrep'];
/** Seconds of client inactivity after which a web provider may drop the stream (ADR 0008). */
const INACTIVITY_DELAY_SEC = 120;

export interface OfrepOptions {
  /** Heartbeat interval of the change stream (ms). */
  heartbeatMs?: number;
}

type Failure = { key: string; errorCode: string; errorDetails: string; metadata?: Record<string, unknown> };

/** OFREP's wire form of one evaluation: success or failure. */
function toOfrep(key: string, r: EvaluationResult): Record<string, unknown> {
  if (r.errorCode !== undefined) {
    const failure: Failure = { key, errorCode: r.errorCode, errorDetails: r.errorMessage ?? r.errorCode };
    if (r.flagMetadata) failure.metadata = r.flagMetadata;
    return failure;
  }
  return { key, value: r.value, reason: r.reason, variant: r.variant, metadata: r.flagMetadata ?? {} };
}

const keys = new WeakMap<FastifyRequest, ClientKeyRecord>();

/**
 * Route option that authenticates the client key first thing (before the
 * body is read), so a request without a valid key always gets a 401.
 */
export function clientKeyHook(flags: FlagService) {
  return async (req: FastifyRequest): Promise<void> => {
    keys.set(req, requireClientKey(flags, req));
  };
}

/** The key {@link clientKeyHook} authenticated. */
export function clientKeyOf(req: FastifyRequest): ClientKeyRecord {
  const key = keys.get(req);
  if (!key) throw new Error('clientKeyHook is missing on this route');
  return key;
}

/** The client key of an OFREP or SDK request: 401 when absent, unknown or revoked. */
export function requireClientKey(flags: FlagService, req: FastifyRequest): ClientKeyRecord {
  const secret = clientKeyFromHeaders(req.headers);
  if (secret === undefined) {
    throw new ApiError(401, 'SLUICE_CLIENT_KEY_REQUIRED', 'this endpoint needs a client key: send X-API-Key: <key> or Authorization: Bearer <key>; create one with `sluice flags keys create --environment <env>`');
  }
  const key = flags.authenticate(secret);
  if (!key && !secret.startsWith(CLIENT_KEY_PREFIX) && secret.startsWith('sluice_')) {
    throw new ApiError(401, 'SLUICE_CLIENT_KEY_INVALID', `this is an API token (for operators), not a client key: SDKs and OFREP clients read flags with a client key (${CLIENT_KEY_PREFIX}…); create one with \`sluice flags keys create --environment <env>\``);
  }
  if (!key) throw new ApiError(401, 'SLUICE_CLIENT_KEY_INVALID', 'the client key is not known to this server or was revoked; create a new one with `sluice flags keys create`');
  return key;
}

function contextOf(body: unknown): Record<string, unknown> | string {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) return 'the request body must be a JSON object such as {"context": {"targetingKey": "user-1"}}';
  const ctx = (body as { context?: unknown }).context;
  if (ctx === undefined || ctx === null) return {};
  if (typeof ctx !== 'object' || Array.isArray(ctx)) return '"context" must be a JSON object of attributes, e.g. {"targetingKey": "user-1", "country": "NZ"}';
  return ctx as Record<string, unknown>;
}

/** Errors answered in OFREP's shape, so providers report the right error code. */
function ofrepErrorHandler(flagKey: (req: FastifyRequest) => string | undefined) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const key = flagKey(req);
    if (err instanceof ApiError && err.status === 401) return reply.status(401).send({ ...(key ? { key } : {}), errorCode: 'GENERAL', errorDetails: err.message });
    const status = (err as { statusCode?: number }).statusCode ?? (err instanceof ApiError ? err.status : 500);
    if (status < 500) return reply.status(400).send({ ...(key ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails: err.message });
    return reply.status(500).send({ ...(key ? { key } : {}), errorCode: 'GENERAL', errorDetails: `internal error: ${err.message}` });
  };
}

export function registerOfrepRoutes(app: FastifyInstance, flags: FlagService, opts: OfrepOptions = {}): void {
  const hub = new SseHub<{ environment: string }>(opts.heartbeatMs);
  const unsubscribe = flags.subscribe((change) => {
    const data = JSON.stringify({ type: 'refetchEvaluation', etag: change.etag, lastModified: Math.floor(change.time / 1000) });
    hub.broadcast(formatSse(data, { id: change.revision }), (m) => m.environment === change.environment);
  });
  app.addHook('preClose', async () => {
    unsubscribe();
    hub.closeAll();
  });

  const onRequest = clientKeyHook(flags);

  app.post<{ Params: { key: string } }>(
    '/ofrep/v1/evaluate/flags/:key',
    { ...PUBLIC, onRequest, errorHandler: ofrepErrorHandler((req) => (req.params as { key?: string }).key), schema: { summary: 'OFREP: evaluate one flag', tags: TAGS } },
    async (req, reply) => {
      const clientKey = clientKeyOf(req);
      const flagKey = req.params.key;
      const ctx = contextOf(req.body);
      if (typeof ctx === 'string') return reply.status(400).send({ key: flagKey, errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
      const result = flags.snapshot(clientKey.environment).compiled.evaluate(flagKey, ctx);
      const status = result.errorCode === undefined ? 200 : result.errorCode === 'FLAG_NOT_FOUND' ? 404 : result.errorCode === 'GENERAL' ? 500 : 400;
      return reply.status(status).send(toOfrep(flagKey, result));
    },
  );

  app.post<{ Querystring: Record<string, string> }>(
    '/ofrep/v1/evaluate/flags',
    { ...PUBLIC, onRequest, errorHandler: ofrepErrorHandler(() => undefined), schema: { summary: 'OFREP: evaluate every flag of the environment (ETag / 304)', tags: TAGS } },
    async (req, reply) => {
      const clientKey = clientKeyOf(req);
      const ctx = contextOf(req.body);
      if (typeof ctx === 'string') return reply.status(400).send({ errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
      const snap = flags.snapshot(clientKey.environment);
      const results = snap.compiled.keys().map((k) => toOfrep(k, snap.compiled.evaluate(k, ctx)));
      const stream = { type: 'sse', url: `${origin(req)}/ofrep/v1/sse?token=${encodeURIComponent(flags.streamToken(clientKey))}`, inactivityDelaySec: INACTIVITY_DELAY_SEC };
      const body = JSON.stringify({ flags: results, metadata: { version: String(snap.revision), environment: clientKey.environment }, eventStreams: [stream], refreshConnections: [stream] });
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      void reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matches(req.headers['if-none-match'], etag)) return reply.status(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.get('/ofrep/v1/configuration', { ...PUBLIC, onRequest, errorHandler: ofrepErrorHandler(() => undefined), schema: { summary: 'OFREP: what this server supports', tags: TAGS } }, async () => {
    return {
      name: 'sluice',
      capabilities: {
        cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
        flagEvaluation: { supportedTypes: ['boolean', 'string', 'int', 'float', 'object'] },
      },
    };
  });

  app.get<{ Querystring: { token?: string } }>('/ofrep/v1/sse', { ...PUBLIC, schema: { summary: 'OFREP change notifications (Server-Sent Events, ADR 0008); the URL comes from a bulk response', tags: TAGS } }, async (req, reply) => {
    const token = req.query.token;
    const key = token !== undefined ? flags.authenticateStreamToken(token) : requireClientKey(flags, req);
    if (!key) throw new ApiError(401, 'SLUICE_CLIENT_KEY_INVALID', 'the stream token is not valid (its client key may have been revoked); fetch the bulk evaluation again for a fresh URL');
    reply.hijack();
    const conn = hub.open(req.raw, reply.raw, { environment: key.environment });
    conn.write('retry: 1000\n\n');
    const snap = flags.snapshot(key.environment);
    // A client that resumes behind the current revision missed a change: tell it to refetch now.
    if (conn.lastEventId !== undefined && conn.lastEventId !== String(snap.revision)) {
      conn.write(formatSse(JSON.stringify({ type: 'refetchEvaluation', etag: snap.etag }), { id: snap.revision }));
    }
  });
}

function origin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? `${req.hostname}`}`;
}

function matches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const values = (Array.isArray(header) ? header.join(',') : header).split(',').map((v) => v.trim().replace(/^W\//, ''));
  return values.includes(etag) || values.includes('*');
}
