import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES, type Role, type TokenStore } from '../store/token-store.js';
import { verifyToken } from './auth-tokens.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Least role a route needs; 'public' needs no token. A route that does not
     * say needs admin: forgetting to declare a role never opens an endpoint.
     */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    /** Who made the request; set for every authenticated request. */
    principal: Principal | null;
  }
}

/** The token a request was made with. */
export interface Principal {
  id: string;
  /** The token's name: the actor recorded in events. */
  name: string;
  role: Role;
}

export interface AuthOptions {
  tokens: TokenStore;
  now?: () => number;
  /** How often a token's last use is written at most (ms; default one minute). */
  touchEveryMs?: number;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

const HOW_TO =
  'send Authorization: Bearer <token>. The CLI takes --token, SLUICE_TOKEN or ~/.config/sluice/config.yaml; ' +
  '`sluice up` wrote an admin token to <data-dir>/admin-token on its first start';

/**
 * Checks the bearer token of every request against the route's declared
 * role: 401 without a valid token, 403 with a role too low. Unknown paths
 * under /api need a valid token too, so they reveal nothing.
 */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const now = opts.now ?? Date.now;
  const touchEvery = opts.touchEveryMs ?? 60_000;
  const touched = new Map<string, number>();
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const need: Role | 'public' = req.is404 ? (req.url.startsWith('/api/') ? 'viewer' : 'public') : req.routeOptions.config.role ?? 'admin';
    if (need === 'public') return;
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      void reply.header('www-authenticate', 'Bearer realm="sluice"');
      const why = header === undefined ? 'this endpoint needs a bearer token' : 'the Authorization header must be "Bearer <token>"';
      throw new ApiError(401, 'SLUICE_UNAUTHENTICATED', `${why}; ${HOW_TO}`, { requiredRole: need });
    }
    const result = verifyToken(opts.tokens, m[1]!);
    if (!result.ok) {
      void reply.header('www-authenticate', 'Bearer realm="sluice", error="invalid_token"');
      if (result.reason === 'revoked') {
        const t = result.token;
        const when = new Date(t.revokedAt!).toISOString().slice(0, 16).replace('T', ' ');
        throw new ApiError(
          401,
          'SLUICE_BAD_TOKEN',
          `token "${t.name}" (id ${t.id}, ${t.role}) was revoked on ${when} UTC by ${t.revokedBy ?? 'an admin'} and no longer works; ` +
            `ask an admin for a new one (they make it with \`sluice token create --role ${t.role} --name NAME\`)`,
          { reason: result.reason, id: t.id },
        );
      }
      const why = result.reason === 'malformed' ? 'the token is not a Sluice token (sluice_…)' : 'the token is not known to this server';
      throw new ApiError(401, 'SLUICE_BAD_TOKEN', `${why}; ${HOW_TO}`, { reason: result.reason });
    }
    const { token } = result;
    req.principal = { id: token.id, name: token.name, role: token.role };
    const t = now();
    if (t - (touched.get(token.id) ?? -Infinity) >= touchEvery) {
      touched.set(token.id, t);
      opts.tokens.touch(token.id, t);
    }
    if (!req.is404 && !hasRole(token.role, need)) {
      const route = `${req.method} ${req.routeOptions.url}`;
      throw new ApiError(
        403,
        'SLUICE_FORBIDDEN',
        `${route} needs the ${need} role; token "${token.name}" has the ${token.role} role. ` +
          `Use a token with role ${ROLES.filter((r) => hasRole(r, need)).join(' or ')} (an admin creates one with \`sluice token create --role ${need} --name NAME\`)`,
        { requiredRole: need, role: token.role },
      );
    }
  });
}

/** The actor recorded for a write: the name of the token that made it. */
export function actorOf(req: FastifyRequest): string {
  if (!req.principal) throw new ApiError(500, 'SLUICE_INTERNAL', `${req.method} ${req.url} reached a handler without an authenticated token`);
  return req.principal.name;
}
