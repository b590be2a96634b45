import type { IncomingMessage } from 'node:http';

/**
 * Requests the proxy refuses before choosing a version, so they reach no
 * upstream. Node's parser (llhttp, strict) already rejects most ambiguous
 * framing — Content-Length with Transfer-Encoding, duplicate or malformed
 * Content-Length, unknown transfer codings, obs-fold, bare LF — and reports
 * it as a client error; `rejectionOf` catches what it lets through.
 */
export interface Rejection {
  status: 400 | 408;
  /** Counter label: why the request was refused. */
  reason: 'malformed' | 'headers-too-large' | 'client-timeout';
  /** One line for the client. */
  body: string;
}

function malformed(what: string): Rejection {
  return { status: 400, reason: 'malformed', body: `sluice: bad request: ${what}\n` };
}

/**
 * Why a parsed request must not be forwarded; else whether it has a body to
 * stream upstream. One pass over the raw headers, so the hot path never
 * builds Node's lazily parsed `req.headers` object.
 */
export function inspectRequest(req: IncomingMessage): Rejection | boolean {
  const raw = req.rawHeaders;
  let hosts = 0;
  let te: string | undefined;
  let length: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') length = raw[i + 1];
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') te = te === undefined ? raw[i + 1] : `${te}, ${raw[i + 1]}`;
        break;
    }
  }
  if (hosts > 1) return malformed('more than one Host header (RFC 9112 §3.2)');
  if (hosts === 0 && req.httpVersionMinor === 1) return malformed('HTTP/1.1 request without a Host header (RFC 9112 §3.2)');
  if (te !== undefined) {
    if (req.httpVersionMinor === 0) return malformed('Transfer-Encoding in an HTTP/1.0 request has no reliable framing (RFC 9112 §6.1)');
    // Anything but plain chunked framing is refused before it could be read two ways (request smuggling).
    if (te.trim().toLowerCase() !== 'chunked') return malformed(`Transfer-Encoding ${JSON.stringify(te.slice(0, 100))} is not supported; send "chunked" or a Content-Length`);
  }
  const url = req.url ?? '';
  if (url.charCodeAt(0) !== 47 /* / */) {
    const path = originForm(url);
    if (path === undefined) return malformed(`request target ${JSON.stringify(url.slice(0, 100))} must be a path such as /index.html`);
    req.url = path;
  }
  return te !== undefined || (length !== undefined && length !== '0');
}

/** The path and query of an absolute-form target ("http://host/p?q" → "/p?q"), which servers must accept (RFC 9112 §3.2.2). */
function originForm(url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return undefined;
  }
}

/** What to answer a connection whose request Node's parser refused (the `clientError` event). */
export function rejectionForParseError(err: { code?: string; reason?: string; message: string }, maxHeaderBytes: number): Rejection | undefined {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 400, reason: 'headers-too-large', body: `sluice: bad request: request line and headers exceed ${maxHeaderBytes} bytes\n` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'client-timeout', body: 'sluice: the request headers did not arrive in time\n' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ETIMEDOUT':
    case 'HPE_CLOSED_CONNECTION':
      return undefined; // the client went away; nobody to answer
    default:
      return malformed(err.reason ?? err.message.replace(/^Parse Error: /, ''));
  }
}

/** The raw HTTP/1.1 response for a rejection (the connection closes after it). */
export function rejectionResponse(r: Rejection): string {
  const text = r.status === 408 ? 'Request Timeout' : 'Bad Request';
  return (
    `HTTP/1.1 ${r.status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(r.body)}\r\nconnection: close\r\n\r\n${r.body}`
  );
}
