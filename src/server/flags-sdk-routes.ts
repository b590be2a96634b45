import type { FastifyInstance } from 'fastify';
import type { EnvironmentSnapshot, FlagService } from '../flags/service.js';
import { formatSse, SseHub } from '../flags/sse.js';
import { clientKeyHook, clientKeyOf } from './ofrep-routes.js';

/**
 * What in-process SDKs (the OpenFeature provider) read with a client key:
 * the environment's definitions, and a Server-Sent Events stream that sends
 * them again after every change. The `id:` of each message is the revision,
 * so a reconnect with Last-Event-ID gets nothing it already has.
 */

const PUBLIC = { config: { role: 'public' } } as const;
const TAGS = ['flags-sdk'];

/** The payload of GET /sdk/v1/flags and of each `event: flags` message. */
export interface FlagDefinitions {
  environment: string;
  revision: number;
  etag: string;
  flagSets: EnvironmentSnapshot['flagSets'];
}

export interface SdkRouteOptions {
  heartbeatMs?: number;
}

function definitions(snap: EnvironmentSnapshot): FlagDefinitions {
  return { environment: snap.environment, revision: snap.revision, etag: snap.etag, flagSets: snap.flagSets };
}

export function registerFlagSdkRoutes(app: FastifyInstance, flags: FlagService, opts: SdkRouteOptions = {}): void {
  const hub = new SseHub<{ environment: string }>(opts.heartbeatMs);
  const unsubscribe = flags.subscribe((change) => {
    const message = formatSse(JSON.stringify(definitions(flags.snapshot(change.environment))), { id: change.revision, event: 'flags' });
    hub.broadcast(message, (m) => m.environment === change.environment);
  });
  app.addHook('preClose', async () => {
    unsubscribe();
    hub.closeAll();
  });

  const onRequest = clientKeyHook(flags);

  app.get('/sdk/v1/flags', { ...PUBLIC, onRequest, schema: { summary: "The client key's environment: every FlagSet, normalised (ETag / 304)", tags: TAGS } }, async (req, reply) => {
    const key = clientKeyOf(req);
    const snap = flags.snapshot(key.environment);
    void reply.header('etag', snap.etag).header('cache-control', 'no-cache');
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').map((v) => v.trim().replace(/^W\//, '')).includes(snap.etag)) return reply.status(304).send();
    return definitions(snap);
  });

  app.get('/sdk/v1/flags/stream', { ...PUBLIC, onRequest, schema: { summary: 'The definitions now and after every change (Server-Sent Events, `event: flags`, `id:` = revision)', tags: TAGS } }, async (req, reply) => {
    const key = clientKeyOf(req);
    reply.hijack();
    const conn = hub.open(req.raw, reply.raw, { environment: key.environment });
    conn.write('retry: 1000\n\n');
    const snap = flags.snapshot(key.environment);
    if (conn.lastEventId !== String(snap.revision)) conn.write(formatSse(JSON.stringify(definitions(snap)), { id: snap.revision, event: 'flags' }));
  });
}
