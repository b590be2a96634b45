import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header.js';
import type { Role, RoleCounters } from './counters.js';
import type { Upstream } from './upstreams.js';
import { describeFailure } from './failure.js';
import { forwardRequestHeaders, forwardResponseHeaders } from './headers.js';

/** The reason passed to undici when the client went away first. */
class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}
const clientGone = new ClientGoneError('sluice: client closed the connection before the response was complete');

/** True when the request carries a body that must be streamed upstream. */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * One proxied request: the undici dispatch handler that streams the upstream
 * response into the client's response, with backpressure both ways, and
 * records the outcome in the chosen version's counters.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private gone = false;
  private headersSent = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly role: Role,
    private readonly upstream: Upstream,
    private readonly counters: RoleCounters,
    private readonly requestId: string,
    private readonly start: number,
  ) {}

  /** Sends `req` to `upstream` and answers on `res`. */
  static forward(
    req: IncomingMessage,
    res: ServerResponse,
    role: Role,
    upstream: Upstream,
    counters: RoleCounters,
    start: number,
  ): void {
    counters.requests++;
    const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress);
    const ex = new Exchange(res, role, upstream, counters, fwd.requestId, start);
    res.once('close', ex.onClientClose);
    upstream.pool.dispatch(
      {
        path: req.url ?? '/',
        method: req.method as Dispatcher.HttpMethod,
        headers: fwd.headers,
        body: hasBody(req) ? req : null,
      },
      ex,
    );
  }

  /** The client connection closed: stop the upstream exchange unless the response already finished. */
  private readonly onClientClose = (): void => {
    if (this.res.writableFinished) return;
    this.gone = true;
    this.controller?.abort(clientGone);
  };

  private readonly resumeUpstream = (): void => {
    this.controller?.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.gone) controller.abort(clientGone);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return; // 1xx informational: the client's own server already handled Expect
    if (statusCode >= 500) this.counters.status5xx++;
    this.res.writeHead(statusCode, statusMessage, forwardResponseHeaders(headers, this.role, this.requestId));
    this.headersSent = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', this.resumeUpstream);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.counters.latency.record(performance.now() - this.start);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.gone || err === clientGone) return; // the client left: not the upstream's fault
    this.counters.proxyErrors++;
    if (this.headersSent) {
      // Too late for a status code: cut the client off so it sees a truncated response.
      this.res.destroy(err);
    } else {
      const failure = describeFailure(err, this.role, this.upstream.origin);
      this.res.writeHead(failure.status, [
        'content-type',
        'text/plain; charset=utf-8',
        'content-length',
        String(Buffer.byteLength(failure.body)),
        'x-sluice-version',
        this.role,
        'x-request-id',
        this.requestId,
      ]);
      this.res.end(failure.body);
    }
    this.counters.latency.record(performance.now() - this.start);
  }
}
