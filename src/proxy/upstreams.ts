import { Pool } from 'undici';

/** One upstream instance: its origin and the keep-alive pool that carries its traffic. */
export interface Upstream {
  readonly origin: string;
  readonly pool: Pool;
}

export interface PoolTimeouts {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * One undici Pool per upstream origin, shared by every route table that names it
 * and reference-counted: when the last table stops naming an origin, its pool
 * closes gracefully (requests already dispatched on it finish first).
 */
export class UpstreamPools {
  private readonly entries = new Map<string, { upstream: Upstream; refs: number }>();
  /** Pools closing gracefully, with the promise that settles when they are closed. */
  private readonly closing = new Map<Pool, Promise<void>>();

  constructor(private readonly timeouts: PoolTimeouts) {}

  /** The upstream for `url` (a validated http(s) base URL), creating its pool on first use. */
  acquire(url: string): Upstream {
    const origin = new URL(url).origin;
    let entry = this.entries.get(origin);
    if (!entry) {
      const t = this.timeouts;
      const pool = new Pool(origin, {
        headersTimeout: t.headersTimeoutMs,
        bodyTimeout: t.bodyTimeoutMs,
        keepAliveTimeout: t.keepAliveTimeoutMs,
        connect: { timeout: t.connectTimeoutMs },
      });
      entry = { upstream: { origin, pool }, refs: 0 };
      this.entries.set(origin, entry);
    }
    entry.refs++;
    return entry.upstream;
  }

  /** Drops one reference; the pool closes in the background when none remain. */
  release(upstream: Upstream): void {
    const entry = this.entries.get(upstream.origin);
    if (!entry || entry.upstream !== upstream) return;
    if (--entry.refs > 0) return;
    this.entries.delete(upstream.origin);
    this.startClosing(upstream.pool);
  }

  /** Number of pools in use (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every pool, letting in-flight requests finish for up to `graceMs`, then destroys the rest. */
  async closeAll(graceMs: number): Promise<void> {
    for (const { upstream } of this.entries.values()) this.startClosing(upstream.pool);
    this.entries.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([Promise.all(this.closing.values()), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      await Promise.all([...this.closing.keys()].map((pool) => pool.destroy().catch(() => undefined)));
    }
    this.closing.clear();
  }

  private startClosing(pool: Pool): void {
    const done = pool.close().then(
      () => undefined,
      () => undefined,
    );
    this.closing.set(pool, done);
    void done.then(() => this.closing.delete(pool));
  }
}
