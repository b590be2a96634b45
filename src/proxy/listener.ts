import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../routers/validate.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, listener: Listener) => void;

/** How often idle keep-alive connections are swept while a listener drains. */
const SWEEP_MS = 50;

/**
 * One service's client-facing HTTP server. Closing is graceful: it stops
 * accepting at once, answers in-flight requests with `Connection: close`, and
 * cuts whatever is still open after the grace period.
 */
export class Listener {
  /** True once close() was called: responses then ask clients to reconnect elsewhere. */
  closing = false;
  private closed: Promise<void> | undefined;

  private constructor(
    readonly server: Server,
    readonly address: AddressInfo,
  ) {}

  /** Binds `addr`; rejects with the raw socket error (EADDRINUSE, EACCES, …). */
  static open(addr: ListenAddress, handler: RequestHandler): Promise<Listener> {
    return new Promise((resolve, reject) => {
      let listener: Listener | undefined;
      const server = createServer((req, res) => {
        if (listener) handler(req, res, listener);
      });
      const onError = (err: Error): void => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: addr.host || undefined, port: addr.port }, () => {
        server.off('error', onError);
        server.on('error', () => undefined); // after listening, socket errors are per connection
        listener = new Listener(server, server.address() as AddressInfo);
        resolve(listener);
      });
    });
  }

  /** "host:port" actually bound (port 0 resolved). */
  get url(): string {
    const { address, family, port } = this.address;
    return family === 'IPv6' ? `http://[${address}]:${port}` : `http://${address}:${port}`;
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes every connection. */
  close(graceMs: number): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    const server = this.server;
    this.closed = new Promise<void>((resolve) => {
      const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.closed;
  }
}
