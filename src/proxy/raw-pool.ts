import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What an upstream connection reports to the exchange using it. */
export interface RawConnectionUser {
  onUpstreamData(chunk: Buffer): void;
  /** The connection failed or closed; `err` is undefined for a clean close by the upstream. */
  onUpstreamClosed(err: Error | undefined): void;
}

/** Where a connection finds the exchange using it now (null while idle in the pool). */
const kUser = Symbol('sluice.rawUser');
type PooledSocket = Socket & { [kUser]: RawConnectionUser | null; [kError]: Error | undefined; [kIdleSince]: number };
const kError = Symbol('sluice.rawError');
const kIdleSince = Symbol('sluice.rawIdleSince');

/** A connect attempt that took longer than the connect timeout. */
export class ConnectTimeoutError extends Error {
  override readonly name = 'ConnectTimeoutError';
  readonly code = 'UND_ERR_CONNECT_TIMEOUT';
}

function onData(this: PooledSocket, chunk: Buffer): void {
  const user = this[kUser];
  if (user) user.onUpstreamData(chunk);
  else this.destroy(); // bytes nobody asked for: the connection cannot be trusted again
}
function onError(this: PooledSocket, err: Error): void {
  this[kError] = err;
}

/**
 * Keep-alive connections to one plain-HTTP upstream instance for the fast
 * lane (the undici pool of the same Upstream carries the slow path). Idle
 * connections are reused last-in first-out and closed after the keep-alive
 * timeout; a connection that misbehaves is destroyed, never reused.
 */
export class RawPool {
  /** Idle connections, oldest first. */
  private readonly idle: PooledSocket[] = [];
  private closed = false;
  /** Closes connections idle past the keep-alive timeout; runs only while some are idle. */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    /** The Host header requests to this instance carry. */
    readonly authority: string,
    private readonly keepAliveTimeoutMs: number,
  ) {}

  /** The most recently used idle connection for `user`, or undefined when none is left. */
  reuse(user: RawConnectionUser): Socket | undefined {
    let s: PooledSocket | undefined;
    while ((s = this.idle.pop()) !== undefined) {
      if (s.destroyed || !s.writable || s[kError] !== undefined) continue;
      s[kUser] = user;
      return s;
    }
    return undefined;
  }

  /** Opens a new connection for `user`; `ready` runs once it is connected or failed (then with the error). */
  open(user: RawConnectionUser, connectTimeoutMs: number, ready: (err: Error | undefined, socket: Socket) => void): void {
    const s = connect({ host: this.host, port: this.port, noDelay: true }) as PooledSocket;
    s[kUser] = null;
    s[kError] = undefined;
    s[kIdleSince] = 0;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      s.destroy();
      ready(new ConnectTimeoutError(`connect to ${this.authority} took longer than ${connectTimeoutMs} ms`), s);
    }, connectTimeoutMs);
    s.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s[kUser] = user;
      ready(undefined, s);
    });
    s.on('data', onData);
    s.on('error', onError);
    s.on('close', () => {
      clearTimeout(timer);
      const user = s[kUser];
      s[kUser] = null;
      if (!settled) {
        settled = true;
        ready(s[kError] ?? new Error(`connection to ${this.authority} closed before it was established`), s);
      } else if (user) {
        user.onUpstreamClosed(s[kError]);
      } else {
        const k = this.idle.indexOf(s);
        if (k >= 0) this.idle.splice(k, 1);
      }
    });
  }

  /** Gives a connection back after a complete exchange: it waits, idle, for the next one. */
  release(socket: Socket): void {
    const s = socket as PooledSocket;
    s[kUser] = null;
    if (this.closed || s.destroyed) {
      s.destroy();
      return;
    }
    s[kIdleSince] = performance.now();
    this.idle.push(s);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, Math.max(5, this.keepAliveTimeoutMs / 4)));
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const oldest = performance.now() - this.keepAliveTimeoutMs;
    let n = 0;
    while (n < this.idle.length && this.idle[n][kIdleSince] <= oldest) n++;
    for (const s of this.idle.splice(0, n)) s.destroy();
    if (this.idle.length === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper === undefined) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Drops a connection that cannot be reused (mid-response, misbehaving). */
  discard(socket: Socket): void {
    (socket as PooledSocket)[kUser] = null;
    socket.destroy();
  }

  /** Closes idle connections; connections in use close when their exchange ends. */
  close(): void {
    this.closed = true;
    this.stopSweeping();
    for (const s of this.idle.splice(0)) s.destroy();
  }
}
