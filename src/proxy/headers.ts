import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1),
 * plus the ones the proxy rewrites itself. `name` must be lower case.
 */
function isHopByHop(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return name.startsWith('proxy-');
  }
}

/** Extra header names a message lists in its Connection header ("Connection: close, x-foo"). */
function connectionListed(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  // The usual values name no header: skip the split (this runs for every request and response).
  if (value.length <= 10) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close' || v === 'upgrade') return undefined;
  }
  const names = new Set<string>();
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    // "upgrade" names the Upgrade header, which is hop-by-hop already (and kept on purpose for a protocol switch).
    if (t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') names.add(t);
  }
  return names.size > 0 ? names : undefined;
}

/** The request id a forwarded request carries: the client's, or a new one. */
export interface ForwardedRequest {
  headers: string[];
  requestId: string;
}

/**
 * Upstream request headers from the client's raw headers (flat [name, value, …]):
 * hop-by-hop headers dropped, Host left for the upstream's own authority,
 * X-Forwarded-For/-Proto/-Host set, x-request-id passed through or created.
 * With `upgrade` (a protocol switch such as WebSocket) the Upgrade header is
 * kept and `Connection: upgrade` sent, since the upstream must see both.
 */
export function forwardRequestHeaders(
  raw: readonly string[],
  clientIp: string | undefined,
  proto: 'http' | 'https' = 'http',
  upgrade = false,
): ForwardedRequest {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  let forwardedFor: string | undefined;
  let host = '';
  let requestId = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    switch (name) {
      case 'host':
        host = value;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'x-sluice-mirror': // only the proxy marks a copy: a client's would pass for one
      case 'expect': // the client's 100-continue is answered by the proxy's own server
        continue;
      case 'connection':
        listed = connectionListed(value);
        continue;
      case 'x-request-id':
        if (requestId) continue;
        requestId = value;
        break;
      case 'upgrade':
        if (!upgrade) continue;
        break;
      default:
        if (isHopByHop(name)) continue;
    }
    out.push(raw[i], value);
  }
  if (listed) dropListed(out, listed);
  if (!requestId) {
    requestId = randomUUID();
    out.push('x-request-id', requestId);
  }
  const ip = clientIp ?? '';
  out.push(
    'x-forwarded-for',
    forwardedFor === undefined ? ip : `${forwardedFor}, ${ip}`,
    'x-forwarded-proto',
    proto,
    'x-forwarded-host',
    host,
  );
  if (upgrade) out.push('connection', 'upgrade');
  return { headers: out, requestId };
}

function dropListed(flat: string[], listed: Set<string>): void {
  let w = 0;
  for (let r = 0; r < flat.length; r += 2) {
    if (listed.has(flat[r].toLowerCase())) continue;
    flat[w++] = flat[r];
    flat[w++] = flat[r + 1];
  }
  flat.length = w;
}

/**
 * Client response headers (flat, for `writeHead`) from the upstream's parsed
 * headers: hop-by-hop headers dropped, `x-sluice-version` added, and the
 * request id echoed when the upstream did not.
 */
export function forwardResponseHeaders(
  headers: IncomingHttpHeaders,
  version: string,
  requestId: string,
): string[] {
  const out: string[] = [];
  const listed = connectionListed(headers.connection as string | undefined);
  let sawRequestId = false;
  for (const name in headers) {
    // The proxy says which version answered: an upstream's own x-sluice-version would make two.
    if (isHopByHop(name) || (listed !== undefined && listed.has(name)) || name === 'x-sluice-version') continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'x-request-id') sawRequestId = true;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  out.push('x-sluice-version', version);
  if (!sawRequestId) out.push('x-request-id', requestId);
  return out;
}
