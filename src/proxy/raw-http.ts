/**
 * HTTP/1.1 message heads as the fast lane reads them (fast-lane.ts). Strict on
 * purpose: a request head it does not fully understand is not parsed leniently
 * but handed to Node's own server (llhttp), which answers or rejects it as the
 * slow path always has. Pure functions over strings; no I/O.
 */

/** A request the fast lane may carry itself: no body, no upgrade, no Expect, plain HTTP/1.1. */
export interface RawRequest {
  method: string;
  /** Origin-form target ("/path?query"). */
  target: string;
  /** Header lines passed upstream as received, each ending in CRLF (hop-by-hop, Host and X-Forwarded-* left out). */
  kept: string;
  /** Flat [name, value, …] of every header as received, for A/B rules, stickiness and mirroring. */
  raw: string[];
  /** The client's Host header value. */
  host: string;
  /** X-Forwarded-For values the client sent, joined; undefined when none. */
  forwardedFor: string | undefined;
  /** The client's x-request-id ('' when it sent none). */
  requestId: string;
  /** The client asked to close the connection after this response. */
  close: boolean;
}

/** Methods the fast lane carries (idempotent, and bodiless in practice: a body sends the request to the slow path). */
function fastMethod(m: string): boolean {
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'DELETE';
}

const TARGET = /^\/[\x21-\x7e]*$/;

/** tchar of RFC 9110 §5.6.2, by char code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/**
 * The colon's index in a header line whose name is a token and whose value
 * holds only HTAB and visible ASCII (no control characters, bare CR or LF, or
 * obs-text); -1 for any other line. One pass, no regular expression.
 */
function headerColon(line: string): number {
  const n = line.length;
  let i = 0;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 58 /* : */) break;
    if (c > 127 || TCHAR[c] === 0) return -1;
  }
  if (i === 0 || i === n) return -1;
  for (let j = i + 1; j < n; j++) {
    const c = line.charCodeAt(j);
    if ((c < 32 && c !== 9) || c > 126) return -1;
  }
  return i;
}

/**
 * The request in `head` (request line and headers, without the final CRLFCRLF)
 * when the fast lane can carry it as is; undefined sends the connection to
 * Node's server, which handles everything else (bodies, upgrades, Expect,
 * HTTP/1.0, malformed or ambiguous requests and their rejection).
 */
export function parseRequestHead(head: string): RawRequest | undefined {
  const lines = head.split('\r\n');
  const first = lines[0];
  const sp1 = first.indexOf(' ');
  const sp2 = first.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || first.slice(sp2 + 1) !== 'HTTP/1.1') return undefined;
  const method = first.slice(0, sp1);
  const target = first.slice(sp1 + 1, sp2);
  if (!fastMethod(method) || !TARGET.test(target)) return undefined;
  let kept = '';
  const raw: string[] = [];
  let hosts = 0;
  let lengths = 0;
  let host = '';
  let forwardedFor: string | undefined;
  let requestId = '';
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = headerColon(line);
    if (colon < 0) return undefined;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    raw.push(name, value);
    switch (name.toLowerCase()) {
      case 'host':
        hosts++;
        host = value;
        continue;
      case 'content-length':
        if (value !== '0' || ++lengths > 1) return undefined; // a body, or a repeated length: Node's server refuses or reads it
        break;
      case 'transfer-encoding':
      case 'upgrade':
      case 'expect':
      case 'http2-settings':
        return undefined;
      case 'connection': {
        const v = value.toLowerCase();
        if (v === 'close') close = true;
        else if (v !== 'keep-alive') return undefined; // lists other headers, or an upgrade: Node's server sorts it out
        continue;
      }
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'x-sluice-mirror': // only the proxy marks a copy: a client's would pass for one
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-request-id':
        if (requestId) continue;
        requestId = value;
        break;
      default:
        if (name.length > 6 && name.slice(0, 6).toLowerCase() === 'proxy-') continue;
    }
    kept += `${line}\r\n`;
  }
  if (hosts !== 1) return undefined;
  return { method, target, kept, raw, host, forwardedFor, requestId, close };
}

/** An upstream's response head, ready to be passed on. */
export interface RawResponse {
  status: number;
  reason: string;
  /** Header lines passed to the client as received (hop-by-hop left out; Transfer-Encoding kept when chunked). */
  kept: string;
  /** Content-Length, or -1 when the response has none. */
  length: number;
  chunked: boolean;
  /** The upstream will close the connection after this response (or its body ends with the connection). */
  close: boolean;
  /** The upstream set its own x-request-id. */
  hasRequestId: boolean;
}

/** Why an upstream's response head cannot be passed on; the proxy answers 502. */
export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
  readonly code = 'SLUICE_UPSTREAM_PROTOCOL';
}

const DIGITS = /^\d{1,15}$/;

/** The response in `head` (status line and headers, without the final CRLFCRLF), or the reason it cannot be forwarded. */
export function parseResponseHead(head: string): RawResponse | UpstreamProtocolError {
  const lines = head.split('\r\n');
  const first = lines[0];
  const http10 = first.startsWith('HTTP/1.0 ');
  if (!http10 && !first.startsWith('HTTP/1.1 ')) return new UpstreamProtocolError(`the status line ${JSON.stringify(first.slice(0, 60))} is not HTTP/1.x`);
  const status = Number(first.slice(9, 12));
  if (!(status >= 100 && status <= 599) || (first.length > 12 && first.charCodeAt(12) !== 32)) {
    return new UpstreamProtocolError(`the status line ${JSON.stringify(first.slice(0, 60))} has no valid status code`);
  }
  const reason = first.length > 13 ? first.slice(13) : '';
  let kept = '';
  let length = -1;
  let chunked = false;
  let close = http10;
  let hasRequestId = false;
  let listed: string[] | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = headerColon(line);
    if (colon < 0) return new UpstreamProtocolError(`the response header line ${JSON.stringify(line.slice(0, 60))} is malformed`);
    // Only names of these lengths mean anything here: the rest pass through untouched.
    if (colon !== 2 && colon !== 7 && colon !== 10 && colon !== 12 && colon !== 14 && colon !== 16 && colon !== 17) {
      kept += `${line}\r\n`;
      continue;
    }
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'content-length':
        if (!DIGITS.test(value) || (length !== -1 && length !== Number(value))) return new UpstreamProtocolError(`the response has an invalid Content-Length ${JSON.stringify(value.slice(0, 30))}`);
        length = Number(value);
        break;
      case 'transfer-encoding':
        if (value.toLowerCase() !== 'chunked' || chunked) return new UpstreamProtocolError(`the response's Transfer-Encoding ${JSON.stringify(value.slice(0, 30))} is not plain chunked`);
        chunked = true;
        break;
      case 'connection': {
        const v = value.toLowerCase();
        if (v === 'keep-alive' || v === 'close') {
          close = v === 'close';
          continue;
        }
        for (const token of v.split(',')) {
          const t = token.trim();
          if (t === 'close') close = true;
          else if (t === 'keep-alive') close = false;
          else if (t) (listed ??= []).push(t);
        }
        continue;
      }
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'upgrade':
      case 'proxy-connection':
      case 'x-sluice-version': // the proxy says which version answered: an upstream's own would make two
        continue;
      case 'x-request-id':
        hasRequestId = true;
        break;
    }
    kept += `${line}\r\n`;
  }
  if (chunked && length !== -1) return new UpstreamProtocolError('the response has both Content-Length and Transfer-Encoding');
  if (listed) kept = dropListed(kept, listed);
  return { status, reason, kept, length, chunked, close, hasRequestId };
}

/** Removes the header lines a Connection header names (they describe the upstream's connection only). */
function dropListed(kept: string, listed: string[]): string {
  return kept
    .split('\r\n')
    .filter((line) => line === '' || !listed.includes(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
}

const enum Chunk {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  EndLf,
  Done,
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Follows chunked framing (RFC 9112 §7.1) over a body passed on verbatim, to
 * find where the message ends: chunk sizes, extensions, data, the last chunk
 * and trailers. Bare LF and oversized chunk sizes are refused.
 */
export class ChunkScanner {
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;

  get done(): boolean {
    return this.state === Chunk.Done;
  }

  /**
   * Reads `buf` from `from`. Returns the index just past the end of the message,
   * -1 when the message goes on past `buf`, or an error for broken framing.
   */
  scan(buf: Buffer, from = 0): number | UpstreamProtocolError {
    let i = from;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case Chunk.Size: {
          const c = buf[i];
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > 12) return new UpstreamProtocolError('a chunk size is too large');
            this.size = this.size * 16 + v;
          } else if (this.digits > 0 && (c === 59 /* ; */ || c === 32 || c === 9)) {
            this.state = Chunk.Ext;
          } else if (this.digits > 0 && c === 13) {
            this.state = Chunk.SizeLf;
          } else {
            return new UpstreamProtocolError('a chunk size line is malformed');
          }
          i++;
          break;
        }
        case Chunk.Ext:
          if (buf[i] === 13) this.state = Chunk.SizeLf;
          else if (buf[i] === 10) return new UpstreamProtocolError('a chunk line ends in a bare LF');
          i++;
          break;
        case Chunk.SizeLf:
          if (buf[i++] !== 10) return new UpstreamProtocolError('a chunk size line does not end in CRLF');
          this.state = this.size === 0 ? Chunk.TrailerStart : Chunk.Data;
          break;
        case Chunk.Data: {
          const take = Math.min(this.size, n - i);
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (buf[i++] !== 13) return new UpstreamProtocolError('chunk data is longer than its size');
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (buf[i++] !== 10) return new UpstreamProtocolError('chunk data does not end in CRLF');
          this.state = Chunk.Size;
          this.digits = 0;
          break;
        case Chunk.TrailerStart:
          this.state = buf[i] === 13 ? Chunk.EndLf : Chunk.Trailer;
          i++;
          break;
        case Chunk.Trailer:
          if (buf[i++] === 10) this.state = Chunk.TrailerStart;
          break;
        case Chunk.EndLf:
          if (buf[i++] !== 10) return new UpstreamProtocolError('the chunked body does not end in CRLF');
          this.state = Chunk.Done;
          return i;
        case Chunk.Done:
          return i;
      }
    }
    return -1;
  }
}
