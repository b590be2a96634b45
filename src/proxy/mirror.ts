import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { RoleCounters, ServiceCounters } from './counters.js';
import { forwardRequestHeaders } from './headers.js';
import type { RouteTable } from './route-table.js';
import { nextUpstream } from './route-table.js';

/*
 * Mirroring: a copy of a request stable answers is sent to a canary instance
 * and its answer thrown away. The client's exchange never waits for, reads or
 * shares anything with the copy, so the canary's failure or slowness cannot
 * reach the client. Copies are bounded: at most `maxInFlight` per service at
 * once (more are skipped, not queued) and each is cut off after `timeoutMs`.
 *
 * Only requests without a body are copied. A body is streamed to stable as it
 * arrives and never buffered; copying it would mean holding it in memory or
 * letting the canary's pace throttle stable's upload. Requests with a body are
 * counted as skipped instead, so analysis knows what the mirror did not see.
 */

export interface MirrorOptions {
  /** Copies in flight per service; more are skipped. Default 64. */
  maxInFlight: number;
  /** A copy still running after this is aborted (counted as a mirror error). Default 10 s. */
  timeoutMs: number;
}

export const DEFAULT_MIRROR_OPTIONS: MirrorOptions = { maxInFlight: 64, timeoutMs: 10_000 };


class MirrorTimeout extends Error {
  override readonly name = 'MirrorTimeout';
}
const timedOut = new MirrorTimeout('sluice: mirrored request took too long');

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * One service's mirror in one process: sends copies and counts their outcome
 * in the service's mirror counters (`ServiceCounters.mirror`), apart from the
 * canary's own traffic, and the copies it skipped (`mirrorSkipped`).
 */
export class Mirror {
  private inFlight = 0;
  private readonly counters: RoleCounters;

  constructor(
    private readonly service: ServiceCounters,
    private readonly options: MirrorOptions = DEFAULT_MIRROR_OPTIONS,
  ) {
    this.counters = service.mirror;
  }

  /** Copies in flight now. */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Sends a copy of `req` to the next canary instance of `table`, with the
   * headers a forwarded request carries plus `x-sluice-mirror: 1`. Returns
   * whether it was sent. Never throws and never touches the client's response.
   */
  copy(req: IncomingMessage, table: RouteTable, proto: 'http' | 'https', now: () => number): boolean {
    if (hasBody(req)) {
      this.service.mirrorSkipped.body++;
      return false;
    }
    if (this.inFlight >= this.options.maxInFlight) {
      this.service.mirrorSkipped.busy++;
      return false;
    }
    this.inFlight++;
    this.counters.requests++;
    const handler = new MirrorExchange(this.counters, this.options.timeoutMs, () => this.inFlight--);
    try {
      const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress, proto);
      fwd.headers.push('x-sluice-mirror', '1');
      nextUpstream(table.canary, now).pool.dispatch(
        {
          path: req.url ?? '/',
          method: req.method as Dispatcher.HttpMethod,
          headers: fwd.headers,
          body: null,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        },
        handler,
      );
    } catch (err) {
      handler.onResponseError(undefined, err as Error);
    }
    return true;
  }
}

/** Reads a mirrored response to its end and throws it away, counting status, errors and latency. */
class MirrorExchange implements Dispatcher.DispatchHandler {
  private readonly start = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private code = 0;
  private done = false;

  constructor(
    private readonly counters: RoleCounters,
    private readonly timeoutMs: number,
    private readonly release: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.timer = setTimeout(() => controller.abort(timedOut), this.timeoutMs);
    this.timer.unref();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return;
    this.code = statusCode;
    if (statusCode >= 500) this.counters.status5xx++;
  }

  onResponseData(): void {
    // Discarded: nobody reads a mirror's answer.
  }

  onResponseEnd(): void {
    this.finish(this.code);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.done) return;
    this.counters.proxyErrors++;
    this.finish(this.code !== 0 ? this.code : err === timedOut ? 504 : 502);
  }

  private finish(code: number): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.counters.finish(code);
    this.counters.latency.record(performance.now() - this.start);
    this.release();
  }
}
