import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-Sent Events connections for flag change streams. The response head
 * goes out through Node's ServerResponse (chunked); every message after it is
 * framed as one chunk once, into one buffer, and that same buffer is written
 * straight to each subscriber's socket — one write each, no per-subscriber
 * encoding — which is what keeps a change's fan-out to 1,000 subscribers
 * short. A subscriber that reads too slowly is cut off rather than buffered
 * without bound (it reconnects, and resumes with Last-Event-ID).
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

/** `text` as one HTTP/1.1 chunk (the response is chunked; res.end() writes the last chunk). */
function chunkOf(text: string): Buffer {
  const body = Buffer.from(text);
  const size = `${body.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(size.length + body.length + 2);
  out.write(size, 0, 'latin1');
  body.copy(out, size.length);
  out.write('\r\n', size.length + body.length, 'latin1');
  return out;
}

export interface SseConnection {
  /** The Last-Event-ID the client sent when reconnecting, if any. */
  readonly lastEventId: string | undefined;
  readonly closed: boolean;
  /** Writes pre-formatted SSE text; false when the connection is gone or was cut off. */
  write(text: string): boolean;
  /** Writes a message already framed by the hub (broadcast). */
  writeChunk(chunk: Buffer): boolean;
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
    const socket = res.socket!;
    let closed = false;
    const conn: SseConnection = {
      lastEventId: typeof last === 'string' && last !== '' ? last : undefined,
      get closed() {
        return closed;
      },
      write: (text) => conn.writeChunk(chunkOf(text)),
      writeChunk: (chunk) => {
        if (closed) return false;
        socket.write(chunk);
        if (socket.writableLength > MAX_BUFFERED) {
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
    let chunk: Buffer | undefined;
    for (const [conn, meta] of this.#connections) {
      if (filter && !filter(meta)) continue;
      if (conn.writeChunk((chunk ??= chunkOf(text)))) n++;
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
