import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What an upstream connection reports to the exchange using it. */
export interface RawConnectionUser {
  onUpstreamData(chunk: Buffer): void;
  /** The connection failed or closed; `err` is undefined for a clean close by the upstream. */
  onUpstreamClosed(err: Error | undefined): void;
}

/**
 * One keep-alive connection to an upstream instance, and the exchange using it
 * now (null while idle in the pool). Its listeners are closures over this
 * object, so every event finds its exchange without a lookup on the socket.
 */
export class RawConnection {
  user: RawConnectionUser | null = null;
  error: Error | undefined = undefined;
  /** When it was last given back (performance.now()). */
  idleSince = 0;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const user = this.user;
      if (user !== null) user.onUpstreamData(chunk);
      else socket.destroy(); // bytes nobody asked for: the connection cannot be trusted again
    });
    socket.on('error', (err: Error) => {
      this.error = err;
    });
  }
}

/** Called with a connection for a request (`reused`: it served others before), or with why there is none. */
export type Ready = (err: Error | undefined, conn: RawConnection | undefined, reused: boolean) => void;

interface Waiter {
  user: RawConnectionUser;
  connectTimeoutMs: number;
  ready: Ready;
}

/** A connect attempt that took longer than the connect timeout. */
export class ConnectTimeoutError extends Error {
  override readonly name = 'ConnectTimeoutError';
  readonly code = 'UND_ERR_CONNECT_TIMEOUT';
}

/**
 * Keep-alive connections to one plain-HTTP upstream instance for the fast
 * lane (the undici pool of the same Upstream carries the slow path). Idle
 * connections are reused last-in first-out and closed after the keep-alive
 * timeout; a connection that misbehaves is destroyed, never reused.
 */
export class RawPool {
  /** Idle connections, oldest first. */
  private readonly idle: RawConnection[] = [];
  private closed = false;
  /** Closes connections idle past the keep-alive timeout; runs only while some are idle. */
  private sweeper: NodeJS.Timeout | undefined;

  /** Connections open or opening. */
  private count = 0;
  /** Requests waiting for a connection while `max` are in use, first come first served. */
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly host: string,
    readonly port: number,
    /** The Host header requests to this instance carry. */
    readonly authority: string,
    private readonly keepAliveTimeoutMs: number,
    /** Most connections to this instance (undefined: no limit); more requests wait for one. */
    private readonly max: number | undefined,
  ) {}

  /**
   * A connection for `user`: the most recently used idle one (synchronously,
   * `reused` true), a new one, or — at the connection limit — the next one
   * given back. `ready` gets the error when a new connection failed.
   */
  acquire(user: RawConnectionUser, connectTimeoutMs: number, ready: Ready): void {
    let c: RawConnection | undefined;
    while ((c = this.idle.pop()) !== undefined) {
      if (c.socket.destroyed || !c.socket.writable || c.error !== undefined) continue;
      c.user = user;
      return ready(undefined, c, true);
    }
    if (this.max !== undefined && this.count >= this.max) {
      this.waiting.push({ user, connectTimeoutMs, ready });
      return;
    }
    this.open(user, connectTimeoutMs, ready);
  }

  /** Opens a new connection for `user`; `ready` runs once it is connected or failed (then with the error). */
  private open(user: RawConnectionUser, connectTimeoutMs: number, ready: Ready): void {
    this.count++;
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    const c = new RawConnection(s);
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      s.destroy();
      ready(new ConnectTimeoutError(`connect to ${this.authority} took longer than ${connectTimeoutMs} ms`), undefined, false);
    }, connectTimeoutMs);
    s.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.user = user;
      ready(undefined, c, false);
    });
    s.on('close', () => {
      clearTimeout(timer);
      this.count--;
      const current = c.user;
      c.user = null;
      const next = this.closed ? undefined : this.waiting.shift();
      if (next !== undefined) this.open(next.user, next.connectTimeoutMs, next.ready);
      if (!settled) {
        settled = true;
        ready(c.error ?? new Error(`connection to ${this.authority} closed before it was established`), undefined, false);
      } else if (current !== null) {
        current.onUpstreamClosed(c.error);
      } else {
        const k = this.idle.indexOf(c);
        if (k >= 0) this.idle.splice(k, 1);
      }
    });
  }

  /** Gives a connection back after a complete exchange: it waits, idle, for the next one. */
  release(c: RawConnection): void {
    c.user = null;
    if (this.closed || c.socket.destroyed) {
      c.socket.destroy();
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) {
      c.user = next.user;
      next.ready(undefined, c, true);
      return;
    }
    c.idleSince = performance.now();
    this.idle.push(c);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, Math.max(5, this.keepAliveTimeoutMs / 4)));
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const oldest = performance.now() - this.keepAliveTimeoutMs;
    let n = 0;
    while (n < this.idle.length && this.idle[n].idleSince <= oldest) n++;
    for (const c of this.idle.splice(0, n)) c.socket.destroy();
    if (this.idle.length === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper === undefined) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Drops a connection that cannot be reused (mid-response, misbehaving). */
  discard(c: RawConnection): void {
    c.user = null;
    c.socket.destroy();
  }

  /** Closes idle connections; connections in use close when their exchange ends. */
  close(): void {
    this.closed = true;
    this.stopSweeping();
    for (const w of this.waiting.splice(0)) w.ready(new Error(`the pool for ${this.authority} closed`), undefined, false);
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }
}
