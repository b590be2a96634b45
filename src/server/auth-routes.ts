import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.js';
import { ROLES, TokenStoreError, type Role, type TokenRecord, type TokenStore } from '../store/token-store.js';
import { actorOf } from './auth.js';
import { issueToken, tokenIdProblem } from './auth-tokens.js';
import { ApiError } from './errors.js';

/** A token as the API shows it: never its secret or hash. */
export function tokenView(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    active: t.revokedAt === undefined,
    createdAt: new Date(t.createdAt).toISOString(),
    createdBy: t.createdBy,
    lastUsedAt: t.lastUsedAt === undefined ? undefined : new Date(t.lastUsedAt).toISOString(),
    revokedAt: t.revokedAt === undefined ? undefined : new Date(t.revokedAt).toISOString(),
    revokedBy: t.revokedBy,
  };
}

export type TokenView = ReturnType<typeof tokenView>;

const TOKEN_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'role', 'active', 'createdAt', 'createdBy'],
  properties: {
    id: { type: 'string', description: 'public id; revoke with DELETE /api/v1/tokens/{id}' },
    name: { type: 'string', description: 'recorded as the actor of every write made with the token' },
    role: { type: 'string', enum: [...ROLES] },
    active: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    lastUsedAt: { type: 'string', format: 'date-time', description: 'to the minute' },
    revokedAt: { type: 'string', format: 'date-time' },
    revokedBy: { type: 'string' },
  },
} as const;

const NAME_SCHEMA = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$',
  description: '1–64 letters, digits, ".", "_", "@", ":" or "-", starting with a letter or digit; unique among active tokens',
} as const;

export interface TokenRouteOptions {
  tokens: TokenStore;
  logger: Logger;
  now: () => number;
}

/** `/whoami` for any token, `/tokens` (create, list, revoke) for admins. */
export function registerTokenRoutes(api: FastifyInstance, opts: TokenRouteOptions): void {
  const { tokens, logger, now } = opts;

  api.get(
    '/whoami',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The token this request was made with',
        tags: ['tokens'],
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] } } } },
      },
    },
    async (req) => req.principal,
  );

  api.get(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: { summary: 'Every token, revoked ones included (never secrets)', tags: ['tokens'], response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: TOKEN_SCHEMA } } } } },
    },
    async () => ({ tokens: tokens.list().map(tokenView) }),
  );

  api.post<{ Body: { name: string; role: Role } }>(
    '/tokens',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create a token; its secret is in this response only',
        tags: ['tokens'],
        body: { type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: NAME_SCHEMA, role: { type: 'string', enum: [...ROLES] } } },
        response: {
          201: { type: 'object', properties: { token: TOKEN_SCHEMA, secret: { type: 'string', description: 'send as Authorization: Bearer <secret>; shown once' } } },
        },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      try {
        const { token, text } = issueToken(tokens, { name: req.body.name, role: req.body.role, createdBy: actor }, now());
        logger.info({ actor, token: token.id, name: token.name, role: token.role }, 'token created');
        void reply.status(201);
        return { token: tokenView(token), secret: text };
      } catch (err) {
        if (err instanceof TokenStoreError && err.code === 'SLUICE_TOKEN_NAME_TAKEN') throw new ApiError(409, err.code, err.message, undefined, { cause: err });
        throw err;
      }
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Revoke a token (it stops working at once; revoking twice is harmless and says so)',
        tags: ['tokens'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'the 12 hex digits shown by GET /api/v1/tokens' } } },
        response: {
          200: { type: 'object', properties: { token: TOKEN_SCHEMA, alreadyRevoked: { type: 'boolean', description: 'true when it had been revoked before: nothing changed' } } },
        },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const problem = tokenIdProblem(req.params.id);
      if (problem) throw new ApiError(400, 'SLUICE_BAD_TOKEN_ID', problem);
      const target = tokens.get(req.params.id);
      if (!target) throw new ApiError(404, 'SLUICE_NOT_FOUND', `no token with id ${req.params.id}; \`sluice token list\` shows the ids`);
      if (target.revokedAt !== undefined) {
        const { hash: _hash, ...record } = target;
        return { token: tokenView(record), alreadyRevoked: true };
      }
      const activeAdmins = tokens.list().filter((t) => t.role === 'admin' && t.revokedAt === undefined);
      if (target.revokedAt === undefined && target.role === 'admin' && activeAdmins.length === 1) {
        throw new ApiError(409, 'SLUICE_LAST_ADMIN', `token "${target.name}" is the last active admin token; create another admin token before revoking it, or nobody could manage tokens`);
      }
      const token = tokens.revoke(target.id, actor, now())!;
      logger.info({ actor, token: token.id, name: token.name }, 'token revoked');
      return { token: tokenView(token), alreadyRevoked: false };
    },
  );
}
