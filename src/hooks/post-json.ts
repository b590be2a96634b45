import { STATUS_CODES } from 'node:http';
import { request, type Dispatcher } from 'undici';

/** One POST of a JSON body, shared by webhooks and notifications: a deadline, a size cap, and failures as data. */

export type PostResult =
  | { ok: true; status: number; body: string; durationMs: number }
  | { ok: false; status?: number; body?: string; message: string; durationMs: number; cancelled?: boolean };

export interface PostOptions {
  body: string;
  headers?: Record<string, string>;
  /** The whole exchange must finish within this. */
  timeoutMs: number;
  /** Cancels the request (the caller gave up); the result then says `cancelled`. */
  signal?: AbortSignal;
  /** Bodies past this are cut (default 64 KiB): only a snippet is ever shown. */
  maxBytes?: number;
  dispatcher?: Dispatcher;
  now?: () => number;
}

const DEFAULT_MAX_BYTES = 64 * 1024;

/** POSTs to `url`; 2xx is `ok`. Never throws: an outage, a timeout or a non-2xx answer is `ok: false` with a sentence. */
export async function postJson(url: string, opts: PostOptions): Promise<PostResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const took = () => Math.max(0, now() - started);
  try {
    const res = await request(url, {
      method: 'POST',
      body: opts.body,
      headers: { 'content-type': 'application/json', 'user-agent': 'sluice', ...opts.headers },
      signal,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    const body = await readCapped(res.body, opts.maxBytes ?? DEFAULT_MAX_BYTES);
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, body, durationMs: took() };
    const reason = STATUS_CODES[res.statusCode] ?? '';
    const snippet = oneLine(body);
    return { ok: false, status: res.statusCode, body, message: `answered ${res.statusCode}${reason ? ` ${reason}` : ''}${snippet ? `: ${snippet}` : ''}`, durationMs: took() };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, message: 'cancelled', durationMs: took(), cancelled: true };
    if (timeout.aborted) return { ok: false, message: `no answer within ${opts.timeoutMs}ms`, durationMs: took() };
    const e = err as { code?: string; message?: string; cause?: { code?: string } };
    const code = e.cause?.code ?? e.code;
    return { ok: false, message: `could not reach ${describeUrl(url)} (${code ?? e.message ?? String(err)})`, durationMs: took() };
  }
}

async function readCapped(body: AsyncIterable<unknown> & { destroy(): unknown }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf.subarray(0, Math.max(0, maxBytes - size)));
    size += buf.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The first 200 characters of a body on one line. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A URL for messages: origin and path, never the query (it may hold a token). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'the URL';
  }
}
