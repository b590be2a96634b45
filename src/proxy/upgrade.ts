import type { IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { CLIENT_GONE_CODE } from './counters.js';
import type { Role } from './counters.js';
import { describeFailure, isGatewayStatus } from './failure.js';
import { forwardRequestHeaders } from './headers.js';
import type { ServiceScope } from './settings.js';
import type { Upstream } from './upstreams.js';

/** Longest upstream response head accepted before the tunnel opens. */
const MAX_HEAD_BYTES = 64 * 1024;

class TunnelError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function connectTo(origin: string): Socket {
  const u = new URL(origin);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return u.protocol === 'https:' ? tlsConnect({ host, port, servername: host, ALPNProtocols: ['http/1.1'] }) : netConnect({ host, port });
}

function requestHead(req: IncomingMessage, origin: string, headers: readonly string[]): string {
  let head = `${req.method} ${req.url} HTTP/1.1\r\nhost: ${new URL(origin).host}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return head + '\r\n';
}

/**
 * Tunnels an `Upgrade` request (WebSocket or another protocol switch) to one
 * instance of the chosen version: the request head goes upstream with
 * forwarding headers, the upstream's answer comes back byte for byte (with
 * `x-sluice-version` added), and after a 101 the two sockets are piped until
 * either side closes. Counted like any request: the status the client got, the
 * time until it got it, and a 502/504 with a clear body when the instance fails.
 */
export function tunnel(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  scope: ServiceScope,
  role: Role,
  upstream: Upstream,
  proto: 'http' | 'https',
  start: number,
  idleMs: number,
  track: (socket: Duplex) => void,
): void {
  const counters = role === 'stable' ? scope.counters.stable : scope.counters.canary;
  const settings = scope.settings;
  counters.requests++;
  const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress, proto, true);
  if ('setTimeout' in client && typeof client.setTimeout === 'function') (client as Socket).setTimeout(0);
  const up = connectTo(upstream.origin);
  track(up);
  let phase: 'connecting' | 'head' | 'open' | 'done' = 'connecting';
  let received: Buffer = Buffer.alloc(0);

  const settle = (code: number): void => {
    phase = 'done';
    counters.finish(code);
  };
  const fail = (err: unknown): void => {
    if (phase === 'done' || phase === 'open') return;
    counters.proxyErrors++;
    if (upstream.health.failure(scope.now(), scope.outlier)) counters.ejections++;
    const failure = describeFailure(err, role, upstream.origin);
    settle(failure.status);
    counters.latency.record(performance.now() - start);
    const reason = failure.status === 504 ? 'Gateway Timeout' : 'Bad Gateway';
    client.end(
      `HTTP/1.1 ${failure.status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(failure.body)}\r\n` +
        `x-sluice-version: ${role}\r\nx-request-id: ${fwd.requestId}\r\nconnection: close\r\n\r\n${failure.body}`,
    );
    up.destroy();
  };

  up.setTimeout(settings.connectTimeoutMs, () => {
    const code = phase === 'connecting' ? 'UND_ERR_CONNECT_TIMEOUT' : phase === 'head' ? 'UND_ERR_HEADERS_TIMEOUT' : '';
    if (code) fail(new TunnelError(code, 'timed out'));
    else up.destroy(); // an open tunnel silent for idleMs
  });
  up.once('connect', () => {
    phase = 'head';
    up.setTimeout(settings.headersTimeoutMs);
    up.write(requestHead(req, upstream.origin, fwd.headers));
    if (head.length > 0) up.write(head);
  });
  up.on('error', fail);
  client.on('error', () => up.destroy());
  client.once('close', () => {
    if (phase === 'connecting' || phase === 'head') settle(CLIENT_GONE_CODE);
    up.destroy();
  });
  up.once('close', () => {
    // After a failure the client is being answered (end() closes it once flushed); do not cut that short.
    if (phase === 'connecting' || phase === 'head') fail(new TunnelError('UND_ERR_SOCKET', 'closed before answering'));
    else if (phase === 'open') client.destroy();
  });

  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (received.length > MAX_HEAD_BYTES) fail(new TunnelError('UND_ERR_HEADERS_OVERFLOW', 'response head too large'));
      return;
    }
    up.off('data', onData);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(received.subarray(0, 16).toString('latin1'));
    if (!status) return fail(new TunnelError('UND_ERR_INVALID_RESPONSE', 'not an HTTP response'));
    const code = Number(status[1]);
    const line = received.indexOf('\r\n');
    phase = 'open';
    counters.finish(code);
    counters.latency.record(performance.now() - start);
    if (code >= 500) counters.status5xx++;
    if (isGatewayStatus(code)) {
      if (upstream.health.failure(scope.now(), scope.outlier)) counters.ejections++;
    } else upstream.health.success();
    client.write(received.subarray(0, line + 2));
    client.write(`x-sluice-version: ${role}\r\n`);
    client.write(received.subarray(line + 2));
    received = Buffer.alloc(0);
    up.setTimeout(idleMs);
    up.pipe(client);
    client.pipe(up);
  };
  up.on('data', onData);
}
