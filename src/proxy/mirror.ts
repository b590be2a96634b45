import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
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
 * A request with a body is copied when the body is at most `maxBodyBytes`:
 * the body streams to stable as it arrives, with stable's pace (never the
 * canary's), while the copy keeps up to `maxBodyBytes` of it and goes to the
 * canary once the body has ended. A longer body drops its copy. Memory is
 * thus bounded by maxInFlight × maxBodyBytes per service. Skipped copies
 * (too long, too many in flight, the client gone) are counted, so analysis
 * knows what the mirror did not see.
 */

export interface MirrorOptions {
  /** Copies in flight per service; more are skipped. Default 64. */
  maxInFlight: number;
  /** A copy still running after this is aborted (counted as a mirror error). Default 10 s. */
  timeoutMs: number;
  /** Longest request body copied; longer ones are not mirrored. Default 64 KiB. */
  maxBodyBytes: number;
}

export const DEFAULT_MIRROR_OPTIONS: MirrorOptions = { maxInFlight: 64, timeoutMs: 10_000, maxBodyBytes: 64 * 1024 };


class MirrorTimeout extends Error {
  override readonly name = 'MirrorTimeout';
}
const timedOut = new MirrorTimeout('sluice: mirrored request took too long');

/** The declared body length (-1: chunked, length unknown). */
function declaredLength(req: IncomingMessage): number {
  const len = req.headers['content-length'];
  return len === undefined ? -1 : Number(len);
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
   * Sends a copy of a bodiless `req` to the next canary instance of `table`,
   * with the headers a forwarded request carries plus `x-sluice-mirror: 1`.
   * Returns whether it was sent. Never throws and never touches the client's response.
   */
  copy(req: IncomingMessage, table: RouteTable, proto: 'http' | 'https', now: () => number): boolean {
    if (this.inFlight >= this.options.maxInFlight) {
      this.service.mirrorSkipped.busy++;
      return false;
    }
    this.send(req, null, table, proto, now);
    return true;
  }

  /**
   * For a request with a body: returns the stream to send to stable in place
   * of `req` — the same bytes, at stable's pace — and sends the copy, body
   * included, once the body has ended within `maxBodyBytes`. Returns `req`
   * itself when no copy will be made (too long, too many in flight).
   */
  tee(req: IncomingMessage, table: RouteTable, proto: 'http' | 'https', now: () => number): Readable {
    const cap = this.options.maxBodyBytes;
    if (declaredLength(req) > cap) {
      this.service.mirrorSkipped.body++;
      return req;
    }
    if (this.inFlight >= this.options.maxInFlight) {
      this.service.mirrorSkipped.busy++;
      return req;
    }
    this.inFlight++; // reserved while the body arrives
    const main = new PassThrough({ highWaterMark: 64 * 1024 });
    const parts: Buffer[] = [];
    let size = 0;
    let dropped = false;
    let settled = false;
    const settle = (send: boolean): void => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (send) this.send(req, Buffer.concat(parts, size), table, proto, now);
      else this.service.mirrorSkipped.body++;
    };
    req.on('data', (chunk: Buffer) => {
      if (!dropped) {
        size += chunk.length;
        if (size > cap) {
          dropped = true;
          parts.length = 0;
          settle(false);
        } else parts.push(chunk);
      }
      if (!main.write(chunk)) req.pause();
    });
    main.on('drain', () => req.resume());
    req.on('end', () => {
      main.end();
      if (!dropped) settle(true);
    });
    req.on('close', () => {
      if (req.complete) return;
      settle(false);
      main.destroy(new Error('sluice: the client closed the connection before the request body was complete'));
    });
    return main;
  }

  private send(req: IncomingMessage, body: Buffer | null, table: RouteTable, proto: 'http' | 'https', now: () => number): void {
    this.inFlight++;
    this.counters.requests++;
    const handler = new MirrorExchange(this.counters, this.options.timeoutMs, () => this.inFlight--);
    try {
      const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress, proto);
      fwd.headers.push('x-sluice-mirror', '1');
      if (body !== null && declaredLength(req) < 0) fwd.headers.push('content-length', String(body.length)); // was chunked
      nextUpstream(table.canary, now).pool.dispatch(
        {
          path: req.url ?? '/',
          method: req.method as Dispatcher.HttpMethod,
          headers: fwd.headers,
          body,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        },
        handler,
      );
    } catch (err) {
      handler.onResponseError(undefined, err as Error);
    }
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
