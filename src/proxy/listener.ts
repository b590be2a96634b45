import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenAddress } from '../routers/validate.js';
import { awaitingUpstream } from './exchange.js';
import { FastLane } from './fast-lane.js';
import type { FastService } from './fast-lane.js';
import type { Rejection } from './request-guard.js';
import { rejectionForParseError, rejectionResponse } from './request-guard.js';
import type { TlsPair } from './tls.js';

export interface ListenerHandlers {
  request(req: IncomingMessage, res: ServerResponse, listener: Listener): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, listener: Listener): void;
  /** A connection's request was refused by the parser or a timeout (already answered). */
  rejected(rejection: Rejection): void;
  /** Carry plain-HTTP connections on the fast lane first (fast-lane.ts); without it, Node's server takes every request. */
  fast?: FastService;
}

export interface ListenerOptions {
  /** Terminate TLS with this pair; plain HTTP without. */
  tls?: TlsPair;
  /** A client must send complete request headers within this (slowloris). */
  clientHeadersTimeoutMs: number;
  /** A client socket silent this long during a request is closed (unless its upstream is the silent one). */
  idleTimeoutMs: number;
  /** Idle keep-alive client connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as soon as they are accepted. */
  maxConnections: number;
  /** Largest request line + headers accepted, bytes. */
  maxHeaderBytes: number;
}

/** How often idle keep-alive connections are swept while a listener drains. */
const SWEEP_MS = 50;

/** Node's http server tracks the response a socket is writing in this field; its default clientError handler reads it too. */
function responseStarted(socket: Duplex): boolean {
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return current !== undefined && current !== null && current.headersSent === true;
}

/**
 * One service's client-facing HTTP(S) server. It answers malformed requests and
 * slow clients itself, caps connections, and hands requests and upgrades to the
 * proxy. Closing is graceful: it stops accepting at once, answers in-flight
 * requests with `Connection: close`, and cuts whatever is still open (tunnels
 * included) after the grace period.
 */
export class Listener {
  /** True once close() was called: responses then ask clients to reconnect elsewhere. */
  closing = false;
  /** Upgraded connections (client and upstream sides), which the HTTP server no longer tracks. */
  readonly tunnels = new Set<Duplex>();
  private closed: Promise<void> | undefined;

  private constructor(
    readonly server: Server,
    readonly address: AddressInfo,
    readonly tls: boolean,
    /** Plain-HTTP connections start here and move to `server` when a request needs it. */
    readonly lane: FastLane | undefined,
  ) {}

  /** Binds `addr`; rejects with the raw socket error (EADDRINUSE, EACCES, …). */
  static open(addr: ListenAddress, handlers: ListenerHandlers, options: ListenerOptions): Promise<Listener> {
    return new Promise((resolve, reject) => {
      let listener: Listener | undefined;
      const serverOptions = {
        keepAliveTimeout: options.keepAliveTimeoutMs,
        headersTimeout: options.clientHeadersTimeoutMs,
        requestTimeout: 0, // a 1 GiB upload may take long; idle silence is bounded instead
        connectionsCheckingInterval: Math.max(25, Math.min(1_000, options.clientHeadersTimeoutMs / 4)),
        maxHeaderSize: options.maxHeaderBytes,
        requireHostHeader: false, // checked by the request guard, which says why
      };
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        if (listener) handlers.request(req, res, listener);
      };
      const server: Server = options.tls
        ? (createHttpsServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, onRequest) as unknown as Server)
        : createServer(serverOptions, onRequest);
      server.maxConnections = options.maxConnections;
      // Node arms this on every socket at each request start (and the keep-alive timeout between requests).
      server.timeout = options.idleTimeoutMs;
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (listener) handlers.upgrade(req, socket, head, listener);
        else socket.destroy();
      });
      server.on('clientError', (err: Error & { code?: string; reason?: string }, socket: Duplex) => {
        const rejection = rejectionForParseError(err, options.maxHeaderBytes);
        if (!rejection || !socket.writable || responseStarted(socket)) return void socket.destroy();
        handlers.rejected(rejection);
        socket.end(rejectionResponse(rejection));
      });
      server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
      let lane: FastLane | undefined;
      if (!options.tls && handlers.fast) {
        // Node's server registers its connection listener in its constructor: take it, and call it for the connections the lane hands over.
        const [nodeConnection] = server.listeners('connection') as Array<(socket: Socket) => void>;
        server.removeListener('connection', nodeConnection);
        const limits = { clientHeadersTimeoutMs: options.clientHeadersTimeoutMs, keepAliveTimeoutMs: options.keepAliveTimeoutMs, maxHeaderBytes: options.maxHeaderBytes };
        const fast = new FastLane(handlers.fast, limits, (socket) => nodeConnection.call(server, socket), (r) => handlers.rejected(r));
        server.on('connection', (socket: Socket) => fast.accept(socket));
        lane = fast;
      }
      // A silent client socket (idle keep-alive, or silent mid-request) is closed, unless the
      // silence is an upstream's that has not answered yet: its own timeouts decide then.
      server.on('timeout', (socket: Duplex & { _httpMessage?: ServerResponse | null }) => {
        if (!awaitingUpstream(socket._httpMessage)) socket.destroy();
      });
      const onError = (err: Error): void => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: addr.host || undefined, port: addr.port, backlog: 4096 }, () => {
        server.off('error', onError);
        server.on('error', () => undefined); // after listening, socket errors are per connection
        listener = new Listener(server, server.address() as AddressInfo, options.tls !== undefined, lane);
        resolve(listener);
      });
    });
  }

  /** "http(s)://host:port" actually bound (port 0 resolved). */
  get url(): string {
    const { address, family, port } = this.address;
    const scheme = this.tls ? 'https' : 'http';
    return family === 'IPv6' ? `${scheme}://[${address}]:${port}` : `${scheme}://${address}:${port}`;
  }

  /** Applies changed limits to the live server (they affect new requests and connections). */
  update(options: Pick<ListenerOptions, 'clientHeadersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'>): void {
    this.server.headersTimeout = options.clientHeadersTimeoutMs;
    this.server.timeout = options.idleTimeoutMs;
    this.server.keepAliveTimeout = options.keepAliveTimeoutMs;
    this.server.maxConnections = options.maxConnections;
    if (this.lane) {
      this.lane.limits.clientHeadersTimeoutMs = options.clientHeadersTimeoutMs;
      this.lane.limits.keepAliveTimeoutMs = options.keepAliveTimeoutMs;
    }
  }

  /** Swaps the certificate of a TLS listener; connections already open keep theirs. */
  setCertificate(pair: TlsPair): void {
    (this.server as unknown as { setSecureContext(o: TlsPair): void }).setSecureContext(pair);
  }

  /** Records an upgraded socket so close() can cut it; forgets it when it closes. */
  track(socket: Duplex): void {
    this.tunnels.add(socket);
    socket.once('close', () => this.tunnels.delete(socket));
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes every connection. */
  close(graceMs: number): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    const server = this.server;
    const lane = this.lane;
    lane?.close();
    this.closed = new Promise<void>((resolve) => {
      const sweep = setInterval(() => {
        server.closeIdleConnections();
        lane?.closeIdle();
      }, SWEEP_MS);
      const deadline = setTimeout(() => {
        server.closeAllConnections();
        lane?.destroyAll();
        for (const s of this.tunnels) s.destroy();
      }, graceMs);
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
