import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../store/token-store.js';
import { testApp, testRolloutYaml } from './auth-testing.js';
import { hashToken } from './auth-tokens.js';

/** The API's access rules through `fastify.inject`: every endpoint × every kind of caller. */

type Caller = 'none' | 'malformed' | 'unknown' | 'revoked' | Role;
const CALLERS: Caller[] = ['none', 'malformed', 'unknown', 'revoked', 'viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  need: Role | 'public';
  payload?: string;
  headers?: Record<string, string>;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', url: '/healthz', need: 'public' },
  { method: 'GET', url: '/metrics', need: 'public' },
  { method: 'GET', url: '/api/v1/openapi.json', need: 'viewer' },
  { method: 'GET', url: '/api/v1/whoami', need: 'viewer' },
  { method: 'GET', url: '/api/v1/rollouts', need: 'viewer' },
  { method: 'GET', url: '/api/v1/rollouts/web', need: 'viewer' },
  { method: 'GET', url: '/api/v1/rollouts/web/events', need: 'viewer' },
  { method: 'POST', url: '/api/v1/rollouts/web/pause', need: 'operator' },
  { method: 'POST', url: '/api/v1/rollouts/web/resume', need: 'operator' },
  { method: 'POST', url: '/api/v1/rollouts/web/promote', need: 'operator', payload: '{"full": false}' },
  { method: 'POST', url: '/api/v1/rollouts/web/retry', need: 'operator' },
  { method: 'POST', url: '/api/v1/rollouts/web/abort', need: 'operator', payload: '{"reason": "matrix"}' },
  { method: 'POST', url: '/api/v1/rollouts', need: 'admin', payload: testRolloutYaml('other', 18802), headers: { 'content-type': 'application/yaml' } },
  { method: 'DELETE', url: '/api/v1/rollouts/web', need: 'admin' },
  { method: 'GET', url: '/api/v1/tokens', need: 'admin' },
  { method: 'POST', url: '/api/v1/tokens', need: 'admin', payload: '{"name": "new-one", "role": "viewer"}' },
  { method: 'DELETE', url: '/api/v1/tokens/0123456789ab', need: 'admin' },
];

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup() {
  const t = testApp();
  close = () => t.app.close();
  await t.apply(testRolloutYaml('web', 18801));
  const revoked = (await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.bearer('admin'), payload: { name: 'gone', role: 'admin' } })).json();
  await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${revoked.token.id}`, headers: t.bearer('admin') });
  const header = (c: Caller): Record<string, string> => {
    if (c === 'none') return {};
    if (c === 'malformed') return { authorization: 'Basic YWRtaW46YWRtaW4=' };
    if (c === 'unknown') return { authorization: `Bearer ${t.text.admin.slice(0, -4)}AAAA` };
    if (c === 'revoked') return { authorization: `Bearer ${revoked.secret}` };
    return t.bearer(c);
  };
  return { ...t, header };
}

describe('access matrix', () => {
  it.each(ENDPOINTS.map((e) => [`${e.method} ${e.url}`, e] as const))('%s', async (_label, e) => {
    const t = await setup();
    for (const caller of CALLERS) {
      const res = await t.app.inject({ method: e.method, url: e.url, payload: e.payload, headers: { ...(e.payload && !e.headers ? { 'content-type': 'application/json' } : {}), ...e.headers, ...t.header(caller) } });
      const body = String(res.headers['content-type'] ?? '').includes('json') ? res.json() : undefined;
      const where = `${caller} → ${res.statusCode} ${res.body.slice(0, 300)}`;
      if (e.need === 'public') {
        expect(res.statusCode, where).toBe(200);
      } else if (!['viewer', 'operator', 'admin'].includes(caller)) {
        expect(res.statusCode, where).toBe(401);
        expect(body.error.code, where).toBe(caller === 'none' || caller === 'malformed' ? 'SLUICE_UNAUTHENTICATED' : 'SLUICE_BAD_TOKEN');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="sluice"/);
        if (caller === 'revoked') expect(body.error.message).toContain('revoked');
      } else if (RANK[caller as Role] < RANK[e.need]) {
        expect(res.statusCode, where).toBe(403);
        expect(body.error.code).toBe('SLUICE_FORBIDDEN');
        expect(body.error.message).toContain(`needs the ${e.need} role`);
        expect(body.error.message).toContain(`has the ${caller} role`);
        expect(body.error.details).toEqual({ requiredRole: e.need, role: caller });
      } else {
        expect([401, 403], where).not.toContain(res.statusCode);
        expect(res.statusCode, where).toBeLessThan(500);
      }
    }
  });

  it('a 403 changes nothing: a viewer cannot apply, an operator cannot delete', async () => {
    const t = await setup();
    const before = t.store.eventsSince(0).length;
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: { ...t.bearer('operator'), 'content-type': 'application/yaml' }, payload: testRolloutYaml('x', 18803) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/rollouts/web', headers: t.bearer('operator') })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/rollouts/web/abort', headers: t.bearer('viewer') })).statusCode).toBe(403);
    expect(t.store.listRollouts().map((r) => [r.name, r.state.phase])).toEqual([['web', 'paused']]);
    expect(t.store.eventsSince(0).length).toBe(before);
  });
});

describe('actors', () => {
  it('records the token name as the actor of every write; a client-sent x-sluice-actor is ignored', async () => {
    const t = await setup();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/rollouts/web/promote', headers: { ...t.bearer('operator'), 'x-sluice-actor': 'mallory' } });
    expect(res.statusCode, res.body).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/rollouts/web', headers: t.bearer('admin') })).statusCode).toBe(200);
    const actors = t.store.listEvents('web').filter((e) => e.actor && e.actor !== 'controller' && e.actor !== 'setup').map((e) => [e.type, e.actor]);
    // The promote (by the operator token) and the delete (by the admin token), each named.
    expect(actors.map(([, a]) => a)).toEqual(expect.arrayContaining(['operator', 'admin']));
    expect(actors.at(-1)).toEqual([expect.any(String), 'admin']);
    expect(actors.map(([, a]) => a)).not.toContain('mallory');

    const applied = await t.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: { ...t.bearer('admin'), 'content-type': 'application/yaml' }, payload: testRolloutYaml('other', 18804) });
    expect(applied.statusCode, applied.body).toBe(201);
    expect(t.store.listEvents('other').find((e) => e.type === 'started')?.actor).toBe('admin');
  });
});

describe('tokens over the API', () => {
  it('creates a token whose secret is shown once and stored only as a hash, then revokes it', async () => {
    const t = await setup();
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.bearer('admin'), payload: { name: 'ci', role: 'operator' } });
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json();
    expect(secret).toMatch(/^sluice_[a-f0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci', role: 'operator', active: true, createdBy: 'admin' });
    expect(t.tokens.get(token.id)!.hash).toBe(hashToken(secret));

    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: t.bearer('admin') });
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toContain(hashToken(secret));
    expect(listed.json().tokens.map((x: { name: string }) => x.name)).toEqual(['viewer', 'operator', 'admin', 'gone', 'ci']);

    const who = await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: `Bearer ${secret}` } });
    expect(who.json()).toEqual({ id: token.id, name: 'ci', role: 'operator' });

    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, headers: t.bearer('admin') });
    expect(revoked.json()).toMatchObject({ token: { active: false, revokedBy: 'admin' }, alreadyRevoked: false });
    const twice = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, headers: t.bearer('admin') });
    expect(twice.statusCode).toBe(200);
    expect(twice.json()).toMatchObject({ token: { active: false, revokedAt: revoked.json().token.revokedAt }, alreadyRevoked: true });
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: `Bearer ${secret}` } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('revoked');
  });

  it('refuses a taken name, a bad role, unknown fields and revoking the last admin, each with a clear error', async () => {
    const t = await setup();
    const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: t.bearer('admin'), payload: payload as object });
    const taken = await post({ name: 'operator', role: 'viewer' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'SLUICE_TOKEN_NAME_TAKEN' });

    const badRole = await post({ name: 'x', role: 'root' });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().error.code).toBe('SLUICE_INVALID_REQUEST');
    expect(badRole.json().error.message).toBe('invalid request body: role: must be one of "viewer", "operator", "admin"');

    const extra = await post({ name: 'x', role: 'viewer', rol: 'admin' });
    expect(extra.json().error.details.errors).toEqual([{ in: 'body', path: 'rol', message: 'is not a known field; remove it or check its spelling' }]);
    const missing = await post({ role: 'viewer' });
    expect(missing.json().error.details.errors).toEqual([{ in: 'body', path: 'name', message: 'is required' }]);
    const badName = await post({ name: 'has space', role: 'viewer' });
    expect(badName.json().error.details.errors[0].path).toBe('name');

    const adminId = t.tokens.list().find((x) => x.name === 'admin')!.id;
    const last = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${adminId}`, headers: t.bearer('admin') });
    expect(last.statusCode).toBe(409);
    expect(last.json().error.code).toBe('SLUICE_LAST_ADMIN');
    expect(t.tokens.get(adminId)!.revokedAt).toBeUndefined();

    const unknown = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/abcdefabcdef', headers: t.bearer('admin') });
    expect(unknown.statusCode).toBe(404);
    const malformed = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/BADID', headers: t.bearer('admin') });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toEqual({
      code: 'SLUICE_BAD_TOKEN_ID',
      message: '"BADID" is not a token id: an id is 12 lowercase hex digits, such as 1de9963b2b1a (the part after "sluice_" in the token); `sluice token list` shows every token\'s id',
    });
  });

  it('records when a token was last used, at most once a minute', async () => {
    let now = 10_000;
    const t = testApp({ now: () => now });
    close = () => t.app.close();
    const id = t.tokens.list().find((x) => x.name === 'viewer')!.id;
    await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.bearer('viewer') });
    expect(t.tokens.get(id)!.lastUsedAt).toBe(10_000);
    now += 30_000;
    await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.bearer('viewer') });
    expect(t.tokens.get(id)!.lastUsedAt).toBe(10_000);
    now += 31_000;
    await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.bearer('viewer') });
    expect(t.tokens.get(id)!.lastUsedAt).toBe(71_000);
  });
});

describe('public endpoints and unknown paths', () => {
  it('puts /metrics behind a viewer token when publicMetrics is false; /healthz stays public', async () => {
    const t = testApp({ publicMetrics: false });
    close = () => t.app.close();
    const app = t.app;
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const ok = await app.inject({ url: '/metrics', headers: t.bearer('viewer') });
    expect([ok.statusCode, ok.body]).toEqual([200, 'sluice_up 1\n']);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers unknown /api paths 401 without a token and 404 with one; other unknown paths 404', async () => {
    const t = testApp();
    close = () => t.app.close();
    expect((await t.app.inject({ url: '/api/v1/nothing' })).statusCode).toBe(401);
    const found = await t.app.inject({ url: '/api/v1/nothing', headers: t.bearer('viewer') });
    expect(found.statusCode).toBe(404);
    expect(found.json().error.code).toBe('SLUICE_NO_SUCH_ENDPOINT');
    expect((await t.app.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
  });
});
