import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A real HTTP upstream for tests and benchmarks, answering as one named version. */
export interface TestUpstream {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Requests received so far (including ones the client later aborted). */
  readonly received: number;
  /** Requests whose connection closed before this upstream finished answering. */
  readonly aborted: number;
  /** Body bytes handed to the socket by `/bytes` so far (shows when backpressure stops it). */
  readonly bytesSent: number;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function streamBytes(res: ServerResponse, total: number, onSent: (n: number) => void): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      onSent(n);
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/**
 * Routes: `/headers` echoes the request line and headers as JSON; `/status/NNN`
 * answers NNN; `/echo` streams the request body back; `/count` answers the
 * request body's length; `/bytes?n=N` streams N bytes; `/hang` never answers;
 * `/stall` sends headers and 5 of 100 body bytes, then nothing; `/crash`
 * drops the connection; `/claims-version` answers with its own
 * `x-sluice-version`; anything else answers the version name.
 */
interface Tally {
  aborted: number;
  bytesSent: number;
}

function handle(version: string, req: IncomingMessage, res: ServerResponse, tally: Tally): void {
  res.on('close', () => {
    if (!res.writableFinished) tally.aborted++;
  });
  const url = new URL(req.url ?? '/', 'http://upstream');
  res.setHeader('x-upstream', version);
  if (url.pathname === '/headers') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders }));
  } else if (url.pathname.startsWith('/status/')) {
    res.statusCode = Number(url.pathname.slice(8));
    res.end(version);
  } else if (url.pathname === '/echo') {
    res.setHeader('content-type', req.headers['content-type'] ?? 'application/octet-stream');
    req.pipe(res);
  } else if (url.pathname === '/count') {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
  } else if (url.pathname === '/bytes') {
    const n = Number(url.searchParams.get('n') ?? '0');
    res.setHeader('content-length', String(n));
    streamBytes(res, n, (sent) => (tally.bytesSent += sent));
  } else if (url.pathname === '/hang') {
    req.resume();
  } else if (url.pathname === '/stall') {
    req.resume();
    res.writeHead(200, { 'content-length': '100' });
    res.write('part-');
  } else if (url.pathname === '/claims-version') {
    req.resume();
    res.setHeader('x-sluice-version', 'set-by-upstream');
    res.end(version);
  } else if (url.pathname === '/crash') {
    req.socket.destroy();
  } else {
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(version);
  }
}

/**
 * Upgrades: `/upgrade/refuse` answers 403 and closes; anything else switches
 * protocols (a WebSocket handshake when the client sent Sec-WebSocket-Key) and
 * then echoes every byte back, prefixed by nothing. The 101 response names the
 * version and the forwarding headers the upstream saw.
 */
function upgrade(version: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined);
  if (req.url === '/upgrade/refuse') {
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\nconnection: close\r\n\r\nrefused');
    return;
  }
  const key = req.headers['sec-websocket-key'];
  const accept = typeof key === 'string' ? createHash('sha1').update(key + WS_GUID).digest('base64') : undefined;
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      `upgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n` +
      (accept ? `sec-websocket-accept: ${accept}\r\n` : '') +
      `x-upstream: ${version}\r\nx-seen-forwarded-for: ${req.headers['x-forwarded-for']}\r\nx-seen-host: ${req.headers.host}\r\n\r\n`,
  );
  if (head.length > 0) socket.write(head);
  socket.pipe(socket);
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Starts an upstream on 127.0.0.1 (port 0 by default) answering as `version`. */
export async function startTestUpstream(version: string, port = 0): Promise<TestUpstream> {
  let received = 0;
  const tally: Tally = { aborted: 0, bytesSent: 0 };
  const server: Server = createServer((req, res) => {
    received++;
    handle(version, req, res, tally);
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    received++;
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    upgrade(version, req, socket, head);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    get received() {
      return received;
    },
    get aborted() {
      return tally.aborted;
    },
    get bytesSent() {
      return tally.bytesSent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
}

/** A base URL nothing listens on (bound once, then released). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** What a raw client saw: every byte until the server closed, or until the deadline. */
export interface RawExchange {
  text: string;
  /** True when the server closed the connection (false: the deadline cut it). */
  closed: boolean;
}

/**
 * Writes `chunks` to `base` over a plain TCP socket (each after the previous
 * one was flushed) and collects the bytes the server sends back until it
 * closes or `deadlineMs` passes. Protocol tests use it to send exactly the
 * bytes they mean, which HTTP clients would refuse or repair.
 */
export function rawExchange(base: string, chunks: Array<string | Buffer>, deadlineMs = 5_000): Promise<RawExchange> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: hostname, port: Number(port) });
    const parts: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => socket.destroy(), deadlineMs);
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('end', () => (closed = true));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(parts).toString('latin1'), closed });
    });
    socket.once('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        await new Promise<void>((done) => socket.write(c, () => done()));
      }
    });
  });
}

/**
 * An address that accepts no connections in time: a listener (python3, which
 * can listen without accepting) whose accept queue is already full, so new
 * connection attempts hang until the caller's connect timeout.
 */
export async function blackholeUrl(): Promise<{ url: string; close(): void }> {
  const py = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    py.once('error', reject);
    py.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = netConnect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    fillers.push(s);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of fillers) s.destroy();
      py.kill();
    },
  };
}

/** Retries `check` (which throws, or rejects, while its condition does not hold yet) until it passes or the deadline ends. */
export async function eventually(check: () => void | Promise<void>, deadlineMs = 5_000, everyMs = 10): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
