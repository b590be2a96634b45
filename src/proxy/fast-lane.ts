import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pickRole, drawMirror } from './choice.js';
import type { Role, RoleCounters } from './counters.js';
import { CLIENT_GONE_CODE } from './counters.js';
import { describeFailure, isGatewayStatus, isRefused } from './failure.js';
import type { Mirror } from './mirror.js';
import type { RawRequest, RawResponse } from './raw-http.js';
import { ChunkScanner, parseRequestHead, parseResponseHead, UpstreamProtocolError } from './raw-http.js';
import type { RawConnection, RawConnectionUser } from './raw-pool.js';
import type { Rejection } from './request-guard.js';
import { rejectionResponse } from './request-guard.js';
import { nextUpstream } from './route-table.js';
import type { ServiceScope } from './settings.js';
import { reportUnwell } from './settings.js';
import type { Upstream } from './upstreams.js';

/**
 * The fast lane: plain-HTTP client connections read and answered on the raw
 * socket, for the requests that make up nearly all traffic — HTTP/1.1,
 * no body, no upgrade — forwarded over raw keep-alive connections to
 * plain-HTTP upstreams. It skips Node's IncomingMessage/ServerResponse and
 * undici's request machinery, which cost more than half the CPU per request.
 * Anything else (bodies, upgrades, Expect, HTTP/1.0, malformed or oversized
 * heads, TLS upstreams) hands the connection, with the bytes already read,
 * to Node's HTTP server and the slow path, which keeps it from then on.
 */

/** One service as its fast lane sees it. */
export interface FastService {
  readonly scope: ServiceScope;
  readonly mirror: Mirror;
  readonly random: () => number;
}

/** Limits of the listener the lane serves; mutable, like the listener's own. */
export interface FastLaneLimits {
  clientHeadersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** A request head arriving in more pieces than this goes to Node's server. */
const MAX_HEAD_PIECES = 8;
/** Bodies up to this size that arrive with their head are copied into one buffer with it. */
const SMALL_BODY = 16 * 1024;
/** Longest upstream response head accepted. */
const MAX_RESPONSE_HEAD = 64 * 1024;

export class FastLane {
  /** The listener is closing: responses carry Connection: close and idle connections are closed. */
  closing = false;
  private readonly connections = new Set<FastConnection>();
  /**
   * Enforces the keep-alive, upstream-headers and idle timeouts of every
   * connection in one periodic pass (late by at most one tick, never early),
   * instead of a timer armed and re-armed per socket and per request.
   */
  private sweeper: NodeJS.Timeout | undefined;
  private tickMs = 0;

  constructor(
    readonly service: FastService,
    readonly limits: FastLaneLimits,
    /** Gives a connection (its unread bytes pushed back) to Node's HTTP server. */
    readonly handoff: (socket: Socket) => void,
    readonly rejected: (r: Rejection) => void,
  ) {}

  /** Takes a freshly accepted plain-HTTP connection. */
  accept(socket: Socket): void {
    const conn = new FastConnection(this, socket);
    this.connections.add(conn);
    if (this.sweeper === undefined) this.schedule();
  }

  /** An eighth of the shortest timeout the pass enforces, 5–500 ms (settings and limits may change while the lane runs). */
  private wantedTickMs(): number {
    const s = this.service.scope.settings;
    return Math.min(500, Math.max(5, Math.min(this.limits.keepAliveTimeoutMs, s.headersTimeoutMs, s.idleTimeoutMs) / 8));
  }

  private schedule(): void {
    this.tickMs = this.wantedTickMs();
    this.sweeper = setInterval(() => this.sweep(), this.tickMs);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of this.connections) c.sweep(now);
    if (this.connections.size === 0 || this.tickMs !== this.wantedTickMs()) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      if (this.connections.size > 0) this.schedule();
    }
  }

  forget(conn: FastConnection): void {
    this.connections.delete(conn);
  }

  /** Starts closing: idle connections now, busy ones after their response. */
  close(): void {
    this.closing = true;
    this.closeIdle();
  }

  closeIdle(): void {
    for (const c of this.connections) c.closeIfIdle();
  }

  destroyAll(): void {
    for (const c of this.connections) c.socket.destroy();
  }
}

function ignore(): void {}

/** One client connection on the fast lane. */
export class FastConnection {
  /** Bytes read and not yet handled (the start of the next request head). */
  private buf: Buffer | null = null;
  exchange: FastExchange | null = null;
  private headTimer: NodeJS.Timeout | undefined;
  private gone = false;
  /** Reads that brought part of the current request head. */
  private headPieces = 0;
  /** When the connection last became idle: accepted, or its last response finished (performance.now()). */
  private active = performance.now();

  // The socket's listeners: closures over this connection (one set per connection, none per request).
  private readonly onDataListener = (chunk: Buffer): void => this.onData(chunk);
  private readonly onCloseListener = (): void => this.onClose();
  /** Node's server keeps sockets half-open (allowHalfOpen); a client's FIN ends the connection here, as Node's server does by default. */
  private readonly onEndListener = (): void => {
    this.onClose();
    this.socket.end();
  };
  private readonly onDrainListener = (): void => this.exchange?.resumeUpstream();

  constructor(
    readonly lane: FastLane,
    readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', this.onDataListener);
    socket.on('close', this.onCloseListener);
    socket.on('end', this.onEndListener);
    socket.on('error', ignore);
    socket.on('drain', this.onDrainListener);
  }

  onData(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.exchange !== null) {
      // Pipelined: hold what comes until the response in flight is done, within bounds.
      if (this.buf.length > this.lane.limits.maxHeaderBytes) this.socket.pause();
      return;
    }
    this.next();
  }

  /** Handles the buffered request heads, one at a time. */
  private next(): void {
    const buf = this.buf;
    if (buf === null || this.exchange !== null || this.gone) return;
    const end = buf.indexOf(CRLFCRLF);
    const max = this.lane.limits.maxHeaderBytes;
    if (end < 0) {
      // Too long, or trickling in: Node's parser reads heads incrementally (this lane would copy the bytes again for every piece).
      if (buf.length > max || ++this.headPieces > MAX_HEAD_PIECES) return this.handoff();
      this.armHeadTimer();
      return;
    }
    this.headPieces = 0;
    if (end + 4 > max) return this.handoff();
    const req = parseRequestHead(buf.toString('latin1', 0, end));
    const scope = this.lane.service.scope;
    if (req === undefined || !scope.table.fastLane) return this.handoff();
    this.buf = end + 4 === buf.length ? null : buf.subarray(end + 4);
    this.clearHeadTimer();
    this.dispatch(req);
  }

  private dispatch(req: RawRequest): void {
    const { scope, random, mirror } = this.lane.service;
    const table = scope.table;
    const choice = table.choice;
    let cookies: string[] | undefined;
    let role: Role;
    let like: RequestLike | undefined;
    if (choice.matches !== undefined || choice.sticky !== undefined) {
      like = requestLike(req, this.socket);
      const res: CookieJar = {
        appendHeader(_name: string, value: string | readonly string[]) {
          (cookies ??= []).push(String(value));
          return this as never;
        },
      };
      role = pickRole(choice, table.canary.upstreams.length > 0, like, res, random);
    } else {
      role = pickRole(choice, table.canary.upstreams.length > 0, NO_HEADERS, undefined, random);
    }
    const upstream = nextUpstream(role === 'stable' ? table.stable : table.canary, scope.now);
    if (drawMirror(choice, role, random)) mirror.copy((like ?? requestLike(req, this.socket)) as unknown as IncomingMessage, table, 'http', scope.now);
    this.exchange = new FastExchange(this, req, role, upstream, cookies, req.close || this.lane.closing);
    this.exchange.send();
  }

  /** The exchange finished its response; `close`: the connection ends with it. */
  done(close: boolean): void {
    this.exchange = null;
    this.active = performance.now();
    if (close || this.lane.closing) {
      this.gone = true;
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  }

  onClose(): void {
    if (this.gone && this.exchange === null) return this.lane.forget(this);
    this.gone = true;
    this.clearHeadTimer();
    this.lane.forget(this);
    this.exchange?.clientGone();
    this.exchange = null;
  }

  /** The lane's periodic pass: an idle connection past the keep-alive timeout closes; a request in flight checks its own timeouts. */
  sweep(now: number): void {
    if (this.exchange !== null) this.exchange.sweep(now);
    else if (this.buf === null && now - this.active > this.lane.limits.keepAliveTimeoutMs) this.socket.destroy();
  }

  closeIfIdle(): void {
    if (this.exchange === null && this.buf === null) this.socket.destroy();
  }

  private armHeadTimer(): void {
    if (this.headTimer !== undefined) return;
    this.headTimer = setTimeout(() => this.headTimeout(), this.lane.limits.clientHeadersTimeoutMs);
  }

  private clearHeadTimer(): void {
    if (this.headTimer === undefined) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  /** A request head did not arrive whole in time (slowloris): 408 and close, as Node's server does. */
  private headTimeout(): void {
    this.headTimer = undefined;
    if (this.gone || this.exchange !== null) return;
    const rejection: Rejection = { status: 408, reason: 'client-timeout', body: 'sluice: the request headers did not arrive in time\n' };
    this.lane.rejected(rejection);
    this.gone = true;
    this.socket.end(rejectionResponse(rejection));
  }

  /** Gives the connection, with the bytes not yet handled, to Node's HTTP server for good. */
  private handoff(): void {
    this.clearHeadTimer();
    this.lane.forget(this);
    const s = this.socket;
    s.pause();
    s.off('data', this.onDataListener);
    s.off('close', this.onCloseListener);
    s.off('end', this.onEndListener);
    s.off('error', ignore);
    s.off('drain', this.onDrainListener);
    if (this.buf !== null) s.unshift(this.buf);
    this.buf = null;
    this.gone = true;
    this.lane.handoff(s);
    s.resume();
  }
}

/** What A/B rules, stickiness and mirroring read of a request. */
interface RequestLike {
  method: string;
  url: string;
  headers: Record<string, string>;
  rawHeaders: string[];
  socket: { remoteAddress: string | undefined };
}

const NO_HEADERS = { headers: {}, url: '/' };

/** Collects the cookie a sticky service sets for an anonymous client (pickRole's `res`). */
type CookieJar = Pick<ServerResponse, 'appendHeader'>;

/** The request as A/B rules, stickiness and mirroring read it (Node's joining rules for repeated headers). */
function requestLike(req: RawRequest, socket: Socket): RequestLike {
  const headers: Record<string, string> = {};
  const raw = req.raw;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const prev = headers[name];
    headers[name] = prev === undefined ? raw[i + 1] : `${prev}${name === 'cookie' ? '; ' : ', '}${raw[i + 1]}`;
  }
  return { method: req.method, url: req.target, headers, rawHeaders: raw, socket: { remoteAddress: socket.remoteAddress } };
}

const enum Body {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

/** One request on the fast lane: the upstream connection, the response passed through as it comes, the counters. */
export class FastExchange implements RawConnectionUser {
  private up: RawConnection | null = null;
  private reused = false;
  private retried = false;
  private sawBytes = false;
  private headersSent = false;
  private code = 0;
  private body = Body.Head;
  private remaining = 0;
  private scanner: ChunkScanner | undefined;
  private head: Buffer | null = null;
  /** The upstream connection may serve another request afterwards. */
  private reusable = true;
  private counters: RoleCounters;
  private readonly start = performance.now();
  private readonly requestId: string;
  private finished = false;
  /** When the request went to the upstream, and when the upstream last sent bytes (performance.now()). */
  private sentAt = 0;
  private upActive = 0;
  /** When the client stopped taking the response (its buffer full), 0 while it keeps up. */
  private clientStalledAt = 0;

  constructor(
    private readonly conn: FastConnection,
    private readonly req: RawRequest,
    private role: Role,
    private upstream: Upstream,
    private readonly cookies: string[] | undefined,
    private readonly closeAfter: boolean,
  ) {
    const scope = conn.lane.service.scope;
    this.counters = role === 'stable' ? scope.counters.stable : scope.counters.canary;
    this.requestId = req.requestId || randomUUID();
  }

  send(): void {
    this.counters.requests++;
    const pool = this.upstream.raw!;
    pool.acquire(this, this.conn.lane.service.scope.settings.connectTimeoutMs, (err, socket, reused) => {
      if (this.finished) {
        if (socket !== undefined && err === undefined) pool.release(socket);
        return;
      }
      this.reused = reused;
      if (err !== undefined || socket === undefined) this.fail(err ?? new Error('no upstream connection'));
      else this.attach(socket);
    });
  }

  private attach(up: RawConnection): void {
    this.up = up;
    const r = this.req;
    const pool = this.upstream.raw!;
    const proto = 'http';
    const ip = this.conn.socket.remoteAddress ?? '';
    this.sentAt = performance.now();
    up.socket.write(
      `${r.method} ${r.target} HTTP/1.1\r\nhost: ${pool.authority}\r\n${r.kept}${r.requestId ? '' : `x-request-id: ${this.requestId}\r\n`}` +
        `x-forwarded-for: ${r.forwardedFor === undefined ? ip : `${r.forwardedFor}, ${ip}`}\r\nx-forwarded-proto: ${proto}\r\nx-forwarded-host: ${r.host}\r\n\r\n`,
      'latin1',
    );
  }

  onUpstreamData(chunk: Buffer): void {
    this.sawBytes = true;
    this.upActive = performance.now();
    if (this.body === Body.Head) return this.onHeadBytes(chunk);
    this.passBody(chunk, 0, false);
  }

  private onHeadBytes(chunk: Buffer): void {
    let buf = this.head === null ? chunk : Buffer.concat([this.head, chunk]);
    for (;;) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD) return this.fail(new UpstreamProtocolError(`the response head is longer than ${MAX_RESPONSE_HEAD} bytes`));
        this.head = buf;
        return;
      }
      const res = parseResponseHead(buf.toString('latin1', 0, end));
      if (res instanceof UpstreamProtocolError) return this.fail(res);
      if (res.status < 200) {
        if (res.status === 101) return this.fail(new UpstreamProtocolError('the upstream switched protocols on a request that asked for no upgrade'));
        buf = buf.subarray(end + 4); // 1xx informational: not passed on
        continue;
      }
      this.head = null;
      return this.respond(res, buf, end + 4);
    }
  }

  private respond(res: RawResponse, buf: Buffer, bodyAt: number): void {
    const scope = this.conn.lane.service.scope;
    const noBody = this.req.method === 'HEAD' || res.status === 204 || res.status === 304;
    if (noBody) this.body = Body.Done;
    else if (res.chunked) {
      this.body = Body.Chunked;
      this.scanner = new ChunkScanner();
    } else if (res.length >= 0) {
      this.body = res.length === 0 ? Body.Done : Body.Length;
      this.remaining = res.length;
    } else this.body = Body.UntilClose;
    if (res.close) this.reusable = false;
    const close = this.closeAfter || this.body === Body.UntilClose;
    let head = `HTTP/1.1 ${res.status} ${res.reason}\r\n${res.kept}x-sluice-version: ${this.role}\r\n`;
    if (!res.hasRequestId) head += `x-request-id: ${this.requestId}\r\n`;
    if (this.cookies !== undefined) for (const c of this.cookies) head += `set-cookie: ${c}\r\n`;
    head += close ? 'connection: close\r\n\r\n' : '\r\n';
    this.code = res.status;
    this.headersSent = true;
    if (res.status >= 500) this.counters.status5xx++;
    if (isGatewayStatus(res.status)) reportUnwell(this.conn.lane.service.scope, this.upstream, this.counters, this.role);
    else this.upstream.health.success();
    const client = this.conn.socket;
    if (this.body === Body.Done) {
      if (bodyAt < buf.length) this.reusable = false; // bytes past the response: never reuse that connection
      client.write(head, 'latin1');
      return this.complete();
    }
    const inHand = buf.length - bodyAt;
    if (inHand > 0 && inHand <= SMALL_BODY) {
      // A small body that came with the head leaves with it in one buffer: one write, no writev.
      const bodyEnd = this.body === Body.Length ? bodyAt + Math.min(inHand, this.remaining) : buf.length;
      const headLength = Buffer.byteLength(head, 'latin1');
      const out = Buffer.allocUnsafe(headLength + (bodyEnd - bodyAt));
      out.write(head, 0, 'latin1');
      buf.copy(out, headLength, bodyAt, bodyEnd);
      this.passBody(out, headLength, bodyEnd < buf.length);
      return;
    }
    client.cork();
    client.write(head, 'latin1');
    this.passBody(buf.subarray(bodyAt), 0, false);
    client.uncork();
  }

  /**
   * Passes body bytes `buf[from…]` to the client, following the framing to the
   * response's end; `buf[0…from]` (a response head in the same buffer) goes too.
   * `extra`: the upstream sent bytes past what `buf` holds of this response.
   */
  private passBody(buf: Buffer, from: number, extra: boolean): void {
    if (extra) this.reusable = false;
    if (from >= buf.length) {
      if (from > 0) this.conn.socket.write(buf);
      return;
    }
    let end = buf.length;
    switch (this.body) {
      case Body.Length: {
        const n = buf.length - from;
        if (n >= this.remaining) {
          end = from + this.remaining;
          this.remaining = 0;
        } else this.remaining -= n;
        break;
      }
      case Body.Chunked: {
        const at = this.scanner!.scan(buf, from);
        if (at instanceof UpstreamProtocolError) return this.fail(at);
        if (at >= 0) end = at;
        break;
      }
      case Body.UntilClose:
        break;
      default:
        this.reusable = false;
        return;
    }
    const part = end === buf.length ? buf : buf.subarray(0, end);
    const more = this.conn.socket.write(part);
    const over = (this.body === Body.Length && this.remaining === 0) || (this.body === Body.Chunked && this.scanner!.done);
    if (over) {
      if (end < buf.length) this.reusable = false;
      this.body = Body.Done;
      this.complete();
    } else if (!more) {
      this.clientStalledAt = performance.now();
      this.up?.socket.pause();
    }
  }

  resumeUpstream(): void {
    this.clientStalledAt = 0;
    this.up?.socket.resume();
  }

  /**
   * The timeouts, checked by the lane's periodic pass: response headers
   * within headersTimeoutMs of sending (504), no upstream silence longer than
   * idleTimeoutMs mid-body (cut), and no client that stops reading for as
   * long (closed, as Node's server closes a silent client).
   */
  sweep(now: number): void {
    if (this.finished || this.up === null) return; // connecting: the connect timeout runs
    const s = this.conn.lane.service.scope.settings;
    if (this.body === Body.Head) {
      if (now - this.sentAt > s.headersTimeoutMs) this.onUpstreamTimeout();
    } else if (this.clientStalledAt > 0) {
      if (now - this.clientStalledAt > s.idleTimeoutMs) this.conn.socket.destroy();
    } else if (now - this.upActive > s.idleTimeoutMs) this.onUpstreamTimeout();
  }

  /** The response went out whole; `closeClient`: the client connection ends with it. */
  private complete(closeClient = this.closeAfter): void {
    if (this.finished) return;
    this.finished = true;
    this.counters.finish(this.code);
    this.counters.latency.record(performance.now() - this.start);
    const up = this.up;
    this.up = null;
    if (up !== null) {
      up.socket.resume();
      if (this.reusable) this.upstream.raw!.release(up);
      else this.upstream.raw!.discard(up);
    }
    this.conn.done(closeClient);
  }

  onUpstreamClosed(err: Error | undefined): void {
    this.up = null;
    if (this.finished) return;
    if (this.body === Body.UntilClose) {
      this.body = Body.Done;
      return this.complete(true); // the body ended with the connection, and so does the client's
    }
    // A reused keep-alive connection the upstream closed as the request went out: nothing was processed, try once more on a new one.
    if (this.reused && !this.sawBytes && !this.retried) {
      this.retried = true;
      this.counters.requests--;
      this.send();
      return;
    }
    this.fail(err ?? Object.assign(new Error('the upstream closed the connection before the response was complete'), { code: 'ECONNRESET' }));
  }

  onUpstreamTimeout(): void {
    const code = this.headersSent ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT';
    this.fail(Object.assign(new Error(`upstream silent (${code})`), { code }));
  }

  /** The client left first: stop the upstream exchange. */
  clientGone(): void {
    if (this.finished) return;
    this.finished = true;
    this.counters.finish(this.headersSent ? this.code : CLIENT_GONE_CODE);
    const up = this.up;
    this.up = null;
    if (up !== null) this.upstream.raw!.discard(up);
  }

  /** The upstream exchange failed: 502/504 with a clear body, or a cut connection once the response has started. */
  private fail(err: Error): void {
    if (this.finished) return;
    const up = this.up;
    this.up = null;
    if (up !== null) this.upstream.raw!.discard(up);
    this.counters.proxyErrors++;
    reportUnwell(this.conn.lane.service.scope, this.upstream, this.counters, this.role);
    this.counters.latency.record(performance.now() - this.start);
    if (this.headersSent) {
      this.finished = true;
      this.counters.finish(this.code);
      this.conn.socket.destroy();
      return;
    }
    const failure = describeFailure(err, this.role, this.upstream.origin);
    this.counters.finish(failure.status);
    if (this.retryOnStable(err)) return;
    this.finished = true;
    this.conn.socket.write(
      `HTTP/1.1 ${failure.status} ${failure.status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(failure.body)}\r\nx-sluice-version: ${this.role}\r\nx-request-id: ${this.requestId}\r\n${this.closeAfter ? 'connection: close\r\n' : ''}\r\n${failure.body}`,
    );
    this.conn.done(this.closeAfter);
  }

  /** A canary instance refused the connection: send the request to stable when the service allows it (fast-lane methods are idempotent). */
  private retryOnStable(err: Error): boolean {
    const scope = this.conn.lane.service.scope;
    if (this.role !== 'canary' || !scope.settings.retryToStable || !isRefused(err)) return false;
    this.counters.retried++;
    this.role = 'stable';
    this.counters = scope.counters.stable;
    this.upstream = nextUpstream(scope.table.stable, scope.now);
    this.reused = false;
    this.retried = false;
    this.sawBytes = false;
    this.send();
    return true;
  }
}
