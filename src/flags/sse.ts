import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-Sent Events connections for flag change streams, written to raw
 * responses: one message is formatted once and written to every subscriber.
 * A subscriber that reads too slowly is cut off rather than buffered without
 * bound (it reconnects, and resumes with Last-Event-ID).
 */

/** Bytes a subscriber may have buffered before it is disconnected. */
const MAX_BUFFERED = 1 << 20;

/** `id:`, optional `event:` and `data:` lines (data split on newlines), then a blank line. */
export function formatSse(data: string, opts: { id?: string | number; event?: string; retryMs?: number } = {}): string {
  let out = '';
  if (opts.retryMs !== undefined) out += `retry: ${opts.retryMs}\n`;
  if (opts.id !== undefined) out += `id: ${opts.id}\n`;
  if (opts.event !== undefined) out += `event: ${opts.event}\n`;
  for (const line of data.split('\n')) out += `data: ${line}\n`;
  return out + '\n';
}

export interface SseConnection {
  /** The Last-Event-ID the client sent when reconnecting, if any. */
  readonly lastEventId: string | undefined;
  readonly closed: boolean;
  /** Writes pre-formatted SSE text; false when the connection is gone or was cut off. */
  write(text: string): boolean;
  close(): void;
}

/** A set of SSE connections with heartbeats, closed together on shutdown. */
export class SseHub<M = unknown> {
  readonly #connections = new Map<SseConnection, M>();
  readonly #timer: NodeJS.Timeout;

  constructor(heartbeatMs = 15_000) {
    this.#timer = setInterval(() => this.broadcast(': keep-alive\n\n'), heartbeatMs);
    this.#timer.unref();
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Takes over the response: writes the SSE headers and tracks the connection with its metadata. */
  open(req: IncomingMessage, res: ServerResponse, meta: M): SseConnection {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    const last = req.headers['last-event-id'];
    let closed = false;
    const conn: SseConnection = {
      lastEventId: typeof last === 'string' && last !== '' ? last : undefined,
      get closed() {
        return closed;
      },
      write: (text) => {
        if (closed) return false;
        res.write(text);
        if (res.writableLength > MAX_BUFFERED) {
          conn.close();
          return false;
        }
        return true;
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.#connections.delete(conn);
        res.end();
      },
    };
    this.#connections.set(conn, meta);
    res.on('close', () => {
      closed = true;
      this.#connections.delete(conn);
    });
    return conn;
  }

  /** Writes `text` to every connection whose metadata passes `filter`. */
  broadcast(text: string, filter?: (meta: M) => boolean): number {
    let n = 0;
    for (const [conn, meta] of this.#connections) {
      if (filter && !filter(meta)) continue;
      if (conn.write(text)) n++;
    }
    return n;
  }

  /** Each connection with its metadata (e.g. to send a per-connection message). */
  entries(): Array<[SseConnection, M]> {
    return [...this.#connections];
  }

  closeAll(): void {
    clearInterval(this.#timer);
    for (const conn of [...this.#connections.keys()]) conn.close();
  }
}
