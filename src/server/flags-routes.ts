import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlagError } from '../flags/errors.js';
import type { FlagPatch } from '../flags/patch.js';
import type { FlagService, FlagView } from '../flags/service.js';
import { parseFlagSetDocuments, validateFlagSet } from '../spec/flagset-parse.js';
import type { FlagSet } from '../spec/flagset-types.js';
import { ApiError } from './errors.js';

/**
 * Flag management under /api/v1, for operators: apply FlagSets, read and
 * change flags, history, client keys. Reading needs the viewer role, changing
 * the operator role. Every change is recorded with the request's actor.
 */

// Route options are declared apart from the literals so they type-check with or without role-based auth installed.
const VIEWER = { config: { role: 'viewer' } } as const;
const OPERATOR = { config: { role: 'operator' } } as const;
const TAGS = ['flags'];

type EnvKey = { environment: string; key: string };

export function registerFlagRoutes(api: FastifyInstance, flags: FlagService): void {
  const guard = async <T>(fn: () => T): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof FlagError) throw new ApiError(err.status, err.code, err.message, undefined, { cause: err });
      throw err;
    }
  };

  api.post('/flagsets', { ...OPERATOR, schema: { summary: 'Apply FlagSet documents (YAML stream or one JSON document); each replaces the set of that name, except the split of a flag a live guarded rollout drives (kept, with a warning in the result)', tags: TAGS } }, async (req, reply) => {
    const source = String(req.headers['x-sluice-source'] ?? 'request body');
    const sets = parseBody(req.body, source);
    const results = await guard(() => flags.apply(sets, actorOf(req)));
    void reply.status(results.some((r) => r.outcome === 'created') ? 201 : 200);
    return { results };
  });

  api.get<{ Querystring: { environment?: string } }>('/flagsets', { ...VIEWER, schema: { summary: 'Applied FlagSets', tags: TAGS } }, async (req) => ({
    flagSets: flags.flagSets(req.query.environment),
  }));

  api.get<{ Params: { environment: string; name: string } }>('/flagsets/:environment/:name', { ...VIEWER, schema: { summary: 'One applied FlagSet', tags: TAGS } }, async (req) =>
    guard(() => flags.flagSet(req.params.environment, req.params.name)));

  api.delete<{ Params: { environment: string; name: string } }>('/flagsets/:environment/:name', { ...OPERATOR, schema: { summary: 'Delete a FlagSet and its flags (history is kept)', tags: TAGS } }, async (req) => {
    const events = await guard(() => flags.deleteFlagSet(req.params.environment, req.params.name, actorOf(req)));
    return { deleted: { environment: req.params.environment, name: req.params.name }, events };
  });

  api.get<{ Querystring: { environment?: string; key?: string } }>('/flags', { ...VIEWER, schema: { summary: 'Flags, by environment and key', tags: TAGS } }, async (req) => ({
    flags: flags.flags({ environment: req.query.environment, key: req.query.key }).map(flagSummary),
  }));

  api.get<{ Params: EnvKey }>('/flags/:environment/:key', { ...VIEWER, schema: { summary: 'One flag with its definition', tags: TAGS } }, async (req) =>
    guard(() => flags.flag(req.params.environment, req.params.key)));

  api.patch<{ Params: EnvKey }>('/flags/:environment/:key', { ...OPERATOR, schema: { summary: 'Change one flag: {enabled}, {variant}, {variant, percent} or {percent}; 409 SLUICE_FLAG_UNDER_ROLLOUT when a live guarded rollout drives its split (switching it on or off stays possible)', tags: TAGS } }, async (req) => {
    const patch = parsePatch(req.body);
    return guard(() => flags.setFlag(req.params.environment, req.params.key, patch, actorOf(req)));
  });

  api.get<{ Params: EnvKey; Querystring: { after?: string; limit?: string } }>('/flags/:environment/:key/history', { ...VIEWER, schema: { summary: 'Every change to one flag, oldest first, with its actor', tags: TAGS } }, async (req) => {
    const { environment, key } = req.params;
    const afterSeq = intParam(req.query.after, 'after', 0);
    const events = flags.history(environment, key, { afterSeq, limit: intParam(req.query.limit, 'limit', 1000) });
    // A deleted flag still has its history; a key that never existed is a 404.
    if (events.length === 0 && afterSeq === 0 && flags.flags({ environment, key }).length === 0) await guard(() => flags.flag(environment, key));
    return { events };
  });

  api.get<{ Querystring: { environment?: string; after?: string; limit?: string } }>('/flag-events', { ...VIEWER, schema: { summary: 'Flag and client-key events, oldest first', tags: TAGS } }, async (req) => ({
    events: flags.events({ environment: req.query.environment, afterSeq: intParam(req.query.after, 'after', 0), limit: intParam(req.query.limit, 'limit', 1000) }),
  }));

  api.post('/flag-keys', { ...OPERATOR, schema: { summary: 'Create a client (SDK) key for one environment; the secret is returned only this once', tags: TAGS } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const environment = body.environment;
    if (typeof environment !== 'string' || !/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(environment) || environment.length > 63) {
      throw new ApiError(400, 'SLUICE_BAD_REQUEST', 'send {"environment": "production", "name": "web app"}: environment must be a DNS label such as "production"');
    }
    const name = typeof body.name === 'string' && body.name.trim() !== '' ? body.name.trim().slice(0, 100) : `${environment} key`;
    void reply.status(201);
    return flags.createClientKey(environment, name, actorOf(req));
  });

  api.get<{ Querystring: { environment?: string } }>('/flag-keys', { ...VIEWER, schema: { summary: 'Client keys (never their secrets)', tags: TAGS } }, async (req) => ({
    keys: flags.clientKeys(req.query.environment),
  }));

  api.delete<{ Params: { id: string } }>('/flag-keys/:id', { ...OPERATOR, schema: { summary: 'Revoke a client key', tags: TAGS } }, async (req) => ({
    key: await guard(() => flags.revokeClientKey(req.params.id, actorOf(req))),
  }));
}

/** A flag as listed (GET /flags, the event stream's `event: flag`): the fields a table shows. */
export function flagSummary(f: FlagView) {
  const d = f.definition;
  return {
    environment: f.environment,
    key: f.key,
    flagSet: f.flagSet,
    type: d.type,
    enabled: d.enabled,
    defaultVariant: d.defaultVariant,
    offVariant: d.offVariant,
    variants: Object.keys(d.variants),
    rules: d.rules.length,
    ...(d.split ? { split: d.split } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    updatedAt: f.updatedAt,
    updatedBy: f.updatedBy,
    ...(f.drivenBy ? { drivenBy: f.drivenBy } : {}),
  };
}

export type FlagSummary = ReturnType<typeof flagSummary>;

function parseBody(body: unknown, source: string): FlagSet[] {
  if (typeof body === 'string') {
    const { flagSets, errors } = parseFlagSetDocuments(body, source);
    if (errors.length) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${errors.length} error(s) in ${source}; fix them and apply again`, { errors });
    if (!flagSets.length) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${source} holds no FlagSet document`);
    return flagSets;
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'SLUICE_BAD_REQUEST', 'send one FlagSet document as a JSON object, or YAML with Content-Type: application/yaml');
  }
  const { flagSet, errors } = validateFlagSet(body, source);
  if (!flagSet) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${errors.length} error(s) in ${source}; fix them and apply again`, { errors });
  return [flagSet];
}

function parsePatch(body: unknown): FlagPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'SLUICE_BAD_REQUEST', 'send a JSON object such as {"variant": "on", "percent": 10} or {"enabled": false}');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['enabled', 'variant', 'percent'].includes(k));
  if (unknown.length) throw new ApiError(400, 'SLUICE_BAD_REQUEST', `unknown field(s) ${unknown.join(', ')}; a flag change has enabled, variant and/or percent`);
  return b as FlagPatch;
}

/** Who made the request: the authenticated token's name when auth is on, else the X-Sluice-Actor header. */
export function actorOf(req: FastifyRequest): string {
  const principal = (req as unknown as { principal?: { name?: unknown } | null }).principal;
  if (principal && typeof principal.name === 'string') return principal.name;
  const who = req.headers['x-sluice-actor'];
  return typeof who === 'string' && who.trim() ? who.trim().slice(0, 100) : 'api';
}

function intParam(raw: string | undefined, name: string, dflt: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, 'SLUICE_BAD_REQUEST', `query parameter ${name} must be a non-negative integer, got "${raw}"`);
  return n;
}
