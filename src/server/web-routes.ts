import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface WebRouteOptions {
  /** The built dashboard (index.html, assets/…); default `dist/web` of this package. */
  dir?: string;
}

/** Where `npm run build:web` puts the dashboard: from src/server or dist/server alike, <package>/dist/web. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Only these kinds of file are served; anything else under the directory stays private. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * Scripts and styles come only from this server: no inline script, no eval, no
 * other origin. The dashboard talks to the API on the same origin (connect-src).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The dashboard's static files: `GET /` (index.html) and `GET /assets/*`.
 * Public: the page holds no data; everything it shows comes from the API with
 * the user's token. Files are not renamed per build, so every response is
 * `Cache-Control: no-cache` with an ETag: browsers revalidate (a 304 when
 * unchanged) and never run a stale dashboard against a newer server.
 */
export function registerWebRoutes(app: FastifyInstance, opts: WebRouteOptions = {}): void {
  const root = resolve(opts.dir ?? DEFAULT_WEB_DIR);
  const config = { role: 'public' as const };
  const schema = { hide: true };

  app.get('/', { config, schema }, async (req, reply) => serve(root, 'index.html', req.headers['if-none-match'], reply));
  app.get('/index.html', { config, schema }, async (_req, reply) => reply.redirect('/', 301));
  app.get<{ Params: { '*': string } }>('/assets/*', { config, schema }, async (req, reply) => serve(root, `assets/${req.params['*']}`, req.headers['if-none-match'], reply));
}

async function serve(root: string, relative: string, ifNoneMatch: string | undefined, reply: FastifyReply): Promise<FastifyReply> {
  const type = CONTENT_TYPES[extname(relative).toLowerCase()];
  const file = resolve(join(root, relative));
  // resolve() has removed any "..": a path that leaves the root is refused like a missing file.
  if (!type || !file.startsWith(root + sep)) return notFound(reply, relative);
  let body: Buffer;
  try {
    if (!(await stat(file)).isFile()) return notFound(reply, relative);
    body = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (relative === 'index.html' && code === 'ENOENT') return notBuilt(reply, root);
    if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(reply, relative);
    throw err;
  }
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
  void reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache', etag });
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag)) return reply.status(304).send();
  return reply.type(type).send(body);
}

function notFound(reply: FastifyReply, relative: string): FastifyReply {
  return reply
    .status(404)
    .headers(SECURITY_HEADERS)
    .send({ error: { code: 'SLUICE_NO_SUCH_FILE', message: `the dashboard has no file /${relative}; open / for the dashboard, the API lives under /api/v1` } });
}

function notBuilt(reply: FastifyReply, root: string): FastifyReply {
  return reply
    .status(503)
    .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' })
    .type('text/plain; charset=utf-8')
    .send(`The Sluice dashboard is not built: ${root}/index.html is missing. Run \`npm run build:web\` (or \`npm run build\`) in the Sluice package, then reload. The API works without it under /api/v1.\n`);
}
