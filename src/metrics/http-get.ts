import { request, type Dispatcher } from 'undici';

/** The HTTP GET shared by the prometheus and http providers: a deadline, a size cap, and failures as data. */

export interface HttpReply {
  status: number;
  text: string;
}

export type GetResult = { ok: true; reply: HttpReply } | { ok: false; message: string };

export interface GetOptions {
  headers?: Record<string, string>;
  /** Whole request, headers and body, must finish within this. */
  timeoutMs: number;
  /** Larger bodies are refused (default 1 MiB). */
  maxBytes?: number;
  dispatcher?: Dispatcher;
}

const DEFAULT_MAX_BYTES = 1 << 20;

/** GETs `url` and reads the body as text. Never throws: an outage, a timeout or an oversized body is `ok: false`. */
export async function getText(url: string, opts: GetOptions): Promise<GetResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const where = describeUrl(url);
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...opts.headers },
      signal,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        return { ok: false, message: `GET ${where} answered with more than ${maxBytes} bytes; refused` };
      }
      chunks.push(chunk as Buffer);
    }
    return { ok: true, reply: { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') } };
  } catch (err) {
    if (signal.aborted) return { ok: false, message: `GET ${where} timed out after ${seconds(opts.timeoutMs)}` };
    return { ok: false, message: `GET ${where} failed: ${errorText(err)}` };
  }
}

/** Origin and path only: queries may be long, and may carry tokens. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/** The start of a response body, on one line, for messages. */
export function snippet(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return '(empty body)';
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code;
  const detail = err.message || (typeof code === 'string' ? code : err.name);
  return cause instanceof Error && cause.message && !detail.includes(cause.message) ? `${detail} (${cause.message})` : detail;
}
