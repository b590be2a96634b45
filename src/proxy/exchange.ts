import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header.js';
import { CLIENT_GONE_CODE } from './counters.js';
import type { Role, RoleCounters } from './counters.js';
import { describeFailure, isGatewayStatus, isRefused } from './failure.js';
import type { ForwardedRequest } from './headers.js';
import { forwardRequestHeaders, forwardResponseHeaders } from './headers.js';
import { nextUpstream } from './route-table.js';
import type { ServiceScope, ServiceSettings } from './settings.js';
import { reportUnwell } from './settings.js';
import type { Upstream } from './upstreams.js';

/** The reason passed to undici when the client went away first. */
class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}
const clientGone = new ClientGoneError('sluice: client closed the connection before the response was complete');

/**
 * The response headers when the proxy already set some on `res` itself (the
 * sticky anonymous cookie). writeHead then merges a flat list in one name at
 * a time, so repeated names (several Set-Cookie) would collapse to the last;
 * a name → values map keeps them all, with the proxy's own cookie added.
 */
function withOwnCookies(res: ServerResponse, out: string[]): OutgoingHttpHeaders {
  const merged: Record<string, string | string[]> = {};
  const own = res.getHeader('set-cookie');
  if (own !== undefined) merged['set-cookie'] = Array.isArray(own) ? [...own] : [String(own)];
  for (let i = 0; i < out.length; i += 2) {
    const prev = merged[out[i]];
    merged[out[i]] = prev === undefined ? out[i + 1] : Array.isArray(prev) ? [...prev, out[i + 1]] : [prev, out[i + 1]];
  }
  return merged;
}

/** Methods a client may repeat without changing the outcome (RFC 9110 §9.2.2). */
function isIdempotent(method: string | undefined): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
    case 'DELETE':
    case 'TRACE':
      return true;
    default:
      return false;
  }
}

/** Where a response remembers the exchange filling it (read by shared listeners and when the client's socket times out). */
const kExchange = Symbol('sluice.exchange');

function onClientClose(this: ServerResponse & { [kExchange]?: Exchange }): void {
  this[kExchange]?.clientClosed();
}

function onClientDrain(this: ServerResponse & { [kExchange]?: Exchange }): void {
  this[kExchange]?.resumeUpstream();
}

/**
 * True when the client's silence is the upstream's doing: the request has been
 * read whole and the exchange is waiting for upstream bytes (not held back by a
 * client that stopped reading). The upstream's own timeouts then decide.
 */
export function awaitingUpstream(res: ServerResponse | undefined | null): boolean {
  const ex = (res as (ServerResponse & { [kExchange]?: Exchange }) | undefined | null)?.[kExchange];
  return ex !== undefined && ex.awaitingUpstream();
}

/**
 * One proxied request: the undici dispatch handler that streams the upstream
 * response into the client's response, with backpressure both ways, records
 * the outcome in the chosen version's counters and instance health, and, when
 * the service allows it, sends a request the canary refused on to stable.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private gone = false;
  private headersSent = false;
  /** The upstream is paused until the client drains what it was sent. */
  private paused = false;
  /** Status sent to the client (0: none yet). */
  private code = 0;
  private counters: RoleCounters;
  private readonly settings: ServiceSettings;
  private readonly body: Readable | null;

  private constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly scope: ServiceScope,
    private role: Role,
    private upstream: Upstream,
    private readonly fwd: ForwardedRequest,
    private readonly start: number,
    body: Readable | null,
  ) {
    this.counters = role === 'stable' ? scope.counters.stable : scope.counters.canary;
    this.settings = scope.settings;
    this.body = body;
  }

  /** Sends `req` (with `body` to stream: req itself, a mirror's tee of it, or null) to `upstream`, an instance of `role`, and answers on `res`. */
  static forward(
    req: IncomingMessage,
    res: ServerResponse,
    scope: ServiceScope,
    role: Role,
    upstream: Upstream,
    proto: 'http' | 'https',
    start: number,
    body: Readable | null,
  ): void {
    const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress, proto);
    const ex = new Exchange(req, res, scope, role, upstream, fwd, start, body);
    (res as ServerResponse & { [kExchange]?: Exchange })[kExchange] = ex;
    // Shared listeners that find the exchange through the response: no closures per request.
    res.on('close', onClientClose);
    ex.send();
  }

  private send(): void {
    this.counters.requests++;
    const s = this.settings;
    this.upstream.pool.dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.fwd.headers,
        body: this.body,
        headersTimeout: s.headersTimeoutMs,
        bodyTimeout: s.idleTimeoutMs,
      },
      this,
    );
  }

  /** The client connection closed: stop the upstream exchange unless the response already finished. */
  clientClosed(): void {
    if (this.res.writableFinished) return;
    this.gone = true;
    this.controller?.abort(clientGone);
  }

  /** The client drained what it was sent: let the upstream send more. */
  resumeUpstream(): void {
    this.paused = false;
    this.controller?.resume();
  }

  awaitingUpstream(): boolean {
    return this.req.complete && !this.paused && !this.res.writableFinished;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.gone) controller.abort(clientGone);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return; // 1xx informational: the proxy's own server already answered Expect
    const out = forwardResponseHeaders(headers, this.role, this.fwd.requestId);
    this.res.writeHead(statusCode, statusMessage, this.res.hasHeader('set-cookie') ? withOwnCookies(this.res, out) : out);
    this.headersSent = true;
    this.code = statusCode;
    if (statusCode >= 500) this.counters.status5xx++;
    if (isGatewayStatus(statusCode)) reportUnwell(this.scope, this.upstream, this.counters, this.role);
    else this.upstream.health.success();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      this.paused = true;
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.counters.finish(this.code);
    this.counters.latency.record(performance.now() - this.start);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.gone || err === clientGone) {
      // The client left: not the upstream's fault, and no latency worth recording.
      this.counters.finish(this.headersSent ? this.code : CLIENT_GONE_CODE);
      return;
    }
    this.counters.proxyErrors++;
    reportUnwell(this.scope, this.upstream, this.counters, this.role);
    if (this.headersSent) {
      // Too late for a status code: cut the client off so it sees a truncated response.
      this.counters.finish(this.code);
      this.counters.latency.record(performance.now() - this.start);
      this.res.destroy(err);
      return;
    }
    const failure = describeFailure(err, this.role, this.upstream.origin);
    this.counters.finish(failure.status);
    this.counters.latency.record(performance.now() - this.start);
    if (this.retryOnStable(err)) return;
    this.res.writeHead(failure.status, [
      'content-type',
      'text/plain; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(failure.body)),
      'x-sluice-version',
      this.role,
      'x-request-id',
      this.fwd.requestId,
    ]);
    this.res.end(failure.body);
  }

  /** A canary instance refused the connection: send the request to stable if the service allows it and it is safe. */
  private retryOnStable(err: Error): boolean {
    if (this.role !== 'canary' || !this.settings.retryToStable) return false;
    if (!isRefused(err) || this.body !== null || !isIdempotent(this.req.method)) return false;
    this.counters.retried++;
    this.role = 'stable';
    this.counters = this.scope.counters.stable;
    this.upstream = nextUpstream(this.scope.table.stable, this.scope.now);
    this.controller = null;
    this.send();
    return true;
  }
}
