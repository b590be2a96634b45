import { Pool } from 'undici';
import { InstanceHealth } from './health.js';
import { RawPool } from './raw-pool.js';

/** One upstream instance: its origin, the keep-alive pool that carries its traffic, and its passive health. */
export interface Upstream {
  readonly origin: string;
  readonly pool: Pool;
  /** Raw keep-alive connections for the fast lane; plain-HTTP instances only. */
  readonly raw: RawPool | undefined;
  readonly health: InstanceHealth;
}

/** The fast lane's pool for a plain-HTTP origin (TLS upstreams are carried by undici only). */
function rawPoolFor(url: URL, keepAliveTimeoutMs: number, connections: number | undefined): RawPool | undefined {
  if (url.protocol !== 'http:') return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return new RawPool(host, Number(url.port || 80), url.host, keepAliveTimeoutMs, connections);
}

export interface PoolOptions {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Most connections one pool opens to its instance (undefined: unlimited). */
  connections?: number;
}

/**
 * One undici Pool per upstream origin and connect timeout, shared by every
 * route table that names it and reference-counted: when the last table stops
 * naming it, the pool closes gracefully (requests already dispatched on it
 * finish first). Header and body timeouts are set per request, so services
 * with different timeouts still share a pool.
 */
export class UpstreamPools {
  private readonly entries = new Map<string, { upstream: Upstream; refs: number }>();
  /** Pools closing gracefully, with the promise that settles when they are closed. */
  private readonly closing = new Map<Pool, Promise<void>>();

  constructor(private readonly options: PoolOptions) {}

  /** The upstream for `url` (a validated http(s) base URL), creating its pool on first use. */
  acquire(url: string, connectTimeoutMs = this.options.connectTimeoutMs): Upstream {
    const parsed = new URL(url);
    const origin = parsed.origin;
    const key = `${origin} ${connectTimeoutMs}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const pool = new Pool(origin, {
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connections: this.options.connections ?? null,
        connect: { timeout: connectTimeoutMs },
        // Timeouts are per request (dispatch options); these are only fallbacks.
        headersTimeout: 30_000,
        bodyTimeout: 300_000,
      });
      entry = { upstream: { origin, pool, raw: rawPoolFor(parsed, this.options.keepAliveTimeoutMs, this.options.connections), health: this.healthOf(origin) }, refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    return entry.upstream;
  }

  /** Drops one reference; the pool closes in the background when none remain. */
  release(upstream: Upstream): void {
    for (const [key, entry] of this.entries) {
      if (entry.upstream !== upstream) continue;
      if (--entry.refs > 0) return;
      this.entries.delete(key);
      upstream.raw?.close();
      this.startClosing(upstream.pool);
      return;
    }
  }

  /** Number of pools in use (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every pool, letting in-flight requests finish for up to `graceMs`, then destroys the rest. */
  async closeAll(graceMs: number): Promise<void> {
    for (const { upstream } of this.entries.values()) {
      upstream.raw?.close();
      this.startClosing(upstream.pool);
    }
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

  /** One health record per origin, whatever the pool: an instance that fails, fails for every service. */
  private healthOf(origin: string): InstanceHealth {
    for (const { upstream } of this.entries.values()) if (upstream.origin === origin) return upstream.health;
    return new InstanceHealth();
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
