import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../controller/controller.js';
import { silentLogger } from '../log/logger.js';
import { MemoryRouter } from '../routers/memory.js';
import { MemoryStore } from '../store/memory.js';
import { buildApp } from './app.js';
import { testTokens } from './auth-testing.js';
import { CONTENT_SECURITY_POLICY } from './web-routes.js';

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** The real API app serving a dashboard directory of our own. */
function setup(dir: string) {
  const store = new MemoryStore();
  const controller = new Controller({ store, router: new MemoryRouter(), windows: { window: () => undefined }, logger: silentLogger, tickMs: 3_600_000 });
  const auth = testTokens();
  const app = buildApp({ controller, metricsText: () => '', live: () => undefined, logger: silentLogger, auth: { tokens: auth.tokens }, history: store, web: { dir } });
  close = () => app.close();
  return { app, ...auth };
}

function builtDashboard(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-web-'));
  mkdirSync(join(dir, 'assets/js'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Sluice</title>');
  writeFileSync(join(dir, 'assets/app.css'), 'body { margin: 0 }');
  writeFileSync(join(dir, 'assets/js/main.js'), 'export {};');
  writeFileSync(join(dir, 'assets/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets/notes.txt'), 'not for serving');
  writeFileSync(join(dir, 'secret.js'), 'outside assets');
  return dir;
}

describe('dashboard static files', () => {
  it('serves index.html and assets without a token, with their content types, a strict CSP and revalidation', async () => {
    const { app } = setup(builtDashboard());
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>Sluice</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');

    const types = { '/assets/app.css': 'text/css; charset=utf-8', '/assets/js/main.js': 'text/javascript; charset=utf-8', '/assets/favicon.svg': 'image/svg+xml' };
    for (const [url, type] of Object.entries(types)) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe(type);
    }

    const etag = String(page.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({ url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await app.inject({ url: '/', headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/index.html' })).headers.location).toBe('/');
  });

  it('serves nothing outside the dashboard: other file kinds, .. paths and unknown files are 404', async () => {
    const { app } = setup(builtDashboard());
    for (const url of ['/assets/notes.txt', '/assets/../secret.js', '/assets/%2e%2e/secret.js', '/assets/js/../../../package.json', '/assets/nope.js', '/assets/js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('outside assets');
    }
    const res = await app.inject({ url: '/assets/missing.css' });
    expect(res.json().error.code).toBe('SLUICE_NO_SUCH_FILE');
  });

  it('says how to build the dashboard when it is not built, and the API still needs a token', async () => {
    const { app, bearer } = setup(join(tmpdir(), 'sluice-no-such-web-dir'));
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    expect((await app.inject({ url: '/api/v1/rollouts' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/rollouts', headers: bearer('viewer') })).statusCode).toBe(200);
  });

  it('leaves the static routes out of the OpenAPI document', async () => {
    const { app, bearer } = setup(builtDashboard());
    const doc = (await app.inject({ url: '/api/v1/openapi.json', headers: bearer('viewer') })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/') && p !== '/healthz' && p !== '/metrics')).toEqual([]);
  });
});
