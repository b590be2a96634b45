import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Controller } from '../controller/controller.js';
import type { ApproveLinks, ApprovalClaim } from '../notify/approve-link.js';

/**
 * The approve link of a paused rollout's notification: the signed token in
 * the URL is the credential (no bearer token). GET shows what the link will
 * do and a button; POST does it — link previews in chat tools fetch GETs, and
 * must not spend the link. A spent, stale or expired link answers 410.
 * Browsers get an HTML page, clients asking for JSON get JSON.
 */
export function registerApproveRoutes(api: FastifyInstance, deps: { controller: Controller; links: ApproveLinks }): void {
  void api.register(async (scope) => {
    // The page's button posts an empty form.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));
    // A wildcard, not a :param: Fastify caps parameters at 100 characters and a token may be longer.
    const params = { type: 'object', required: ['*'], properties: { '*': { type: 'string', minLength: 1, maxLength: 512, pattern: '^[^/]+$' } } } as const;
    const schema = (summary: string) => ({ summary, tags: ['approvals'], params });
    const config = { role: 'public' as const, optionalBody: true };

    scope.get<{ Params: Token }>('/approve/*', { config, schema: schema('What an approve link will do (changes nothing)') }, async (req, reply) => {
      const claim = verified(deps.links, req, reply);
      if (!claim) return reply;
      const record = deps.controller.get(claim.rollout);
      const state = record?.state;
      const current = state && state.revision === claim.revision && state.startedAt === claim.startedAt && state.stepIndex === claim.step && state.phase === 'paused';
      if (!current) {
        const now = state ? `it is ${state.phase}: ${state.message}` : 'it no longer exists';
        return answer(req, reply, 410, 'SLUICE_APPROVE_STALE', 'This link is no longer valid', `The pause this link was for is over; rollout ${claim.rollout} has moved on (${now}).`);
      }
      return answer(req, reply, 200, 'SLUICE_APPROVE_READY', `Approve ${claim.rollout}?`, `${state.message}`, {
        form: `Approve step ${Math.min(claim.step + 1, state.spec.steps.length)} of ${claim.rollout}`,
        expiresAt: claim.expiresAt,
      });
    });

    scope.post<{ Params: Token }>('/approve/*', { config, schema: schema('Use an approve link: promote the paused step, once') }, async (req, reply) => {
      const claim = verified(deps.links, req, reply);
      if (!claim) return reply;
      const result = await deps.controller.approve(claim);
      if (result.outcome === 'approved') {
        return answer(req, reply, 200, 'SLUICE_APPROVED', `Approved: ${claim.rollout} goes on`, `${result.record.state.phase}: ${result.record.state.message}`, { rollout: result.record });
      }
      const code = result.outcome === 'used' ? 'SLUICE_APPROVE_USED' : 'SLUICE_APPROVE_STALE';
      const title = result.outcome === 'used' ? 'This link was already used' : 'This link is no longer valid';
      return answer(req, reply, 410, code, title, result.message);
    });
  });
}

type Token = { '*': string };

function verified(links: ApproveLinks, req: FastifyRequest<{ Params: Token }>, reply: FastifyReply): ApprovalClaim | undefined {
  const result = links.verify(req.params['*']);
  if (result.ok) return result.claim;
  const status = result.code === 'SLUICE_APPROVE_EXPIRED' ? 410 : 400;
  const title = result.code === 'SLUICE_APPROVE_EXPIRED' ? 'This link has expired' : 'This is not a valid approve link';
  void answer(req, reply, status, result.code, title, result.message);
  return undefined;
}

function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  title: string,
  message: string,
  extra: { form?: string; expiresAt?: number; rollout?: unknown } = {},
): FastifyReply {
  void reply.status(status).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  const accept = String(req.headers.accept ?? '');
  if (accept.includes('application/json') && !accept.includes('text/html')) {
    const body = status >= 400 ? { error: { code, message } } : { code, message, ...(extra.expiresAt ? { expiresAt: new Date(extra.expiresAt).toISOString() } : {}) };
    return reply.type('application/json').send(body);
  }
  void reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  return reply.type('text/html; charset=utf-8').send(page(title, message, extra.form, extra.expiresAt));
}

function page(title: string, message: string, form?: string, expiresAt?: number): string {
  const button = form
    ? `<form method="post"><button type="submit">${esc(form)}</button></form><p class="small">The link works once${expiresAt ? `, until ${esc(new Date(expiresAt).toISOString())}` : ''}.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Sluice: ${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1a7f37;color:#fff;cursor:pointer}.small{color:#666;font-size:.9rem}</style>
</head><body><h1>${esc(title)}</h1><p>${esc(message)}</p>${button}</body></html>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
