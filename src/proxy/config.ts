import { DEFAULT_OUTLIER_POLICY } from './health.js';
import type { OutlierPolicy } from './health.js';
import type { TimeoutDefaults } from './settings.js';
import { silentLogger } from './support.js';
import { DEFAULT_MIRROR_OPTIONS } from './mirror.js';
import type { MirrorOptions } from './mirror.js';
import type { ProxyLogger } from './support.js';

export interface EmbeddedProxyOptions {
  /** Wait for an upstream's response headers this long, then answer 504. Default 30 s (a service's `timeouts.headersMs` wins). */
  headersTimeoutMs?: number;
  /** Longest silence from client or upstream while a request is in flight. Default 60 s (`timeouts.idleMs` wins). */
  idleTimeoutMs?: number;
  /** Wait this long for an upstream to accept a connection, then answer 504. Default 5 s (`timeouts.connectMs` wins). */
  connectTimeoutMs?: number;
  /** A client must send complete request headers within this, else 408 and close. Default 10 s (`timeouts.clientHeadersMs` wins). */
  clientHeadersTimeoutMs?: number;
  /** Idle upstream keep-alive connections are closed after this long. Default 4 s. */
  keepAliveTimeoutMs?: number;
  /** Idle client keep-alive connections are closed after this long. Default 30 s. */
  clientKeepAliveMs?: number;
  /** Most client connections per service listener; more are closed on accept. Default 10,000. */
  maxConnections?: number;
  /** Largest request line plus headers, in bytes; larger requests get 400. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** An upgraded connection (WebSocket) silent this long is closed. Default 1 h. */
  tunnelIdleMs?: number;
  /** Grace period for in-flight requests when a listener or the proxy closes. Default 30 s. */
  drainTimeoutMs?: number;
  /** How often TLS certificate and key files are checked for changes. Default 2 s. */
  tlsReloadIntervalMs?: number;
  /** Passive outlier ejection of failing instances (Envoy-like). Default 5 failures in a row, 10 s, up to 300 s. */
  outlier?: Partial<OutlierPolicy>;
  /** Most connections per upstream instance and process. Default unlimited. */
  upstreamConnections?: number;
  /** Mirroring limits per service and process: copies in flight (default 64), how long one may take (default 10 s), longest body copied (default 64 KiB). */
  mirror?: Partial<MirrorOptions>;
  /**
   * Processes carrying traffic. 1 (default): this process. N > 1: N worker
   * processes (node:cluster) share each listener; counters are merged, and
   * route changes resolve once every worker applies them.
   */
  workers?: number;
  /** Wall clock for snapshot timestamps and ejections (ms since the epoch). */
  now?: () => number;
  /** Uniform [0, 1) source for the weighted split (this process only). */
  random?: () => number;
  logger?: ProxyLogger;
}

/** Everything a plane needs besides routes, defaults filled in. */
export interface PlaneConfig extends TimeoutDefaults {
  keepAliveTimeoutMs: number;
  clientKeepAliveMs: number;
  maxConnections: number;
  maxHeaderBytes: number;
  tunnelIdleMs: number;
  drainTimeoutMs: number;
  tlsReloadIntervalMs: number;
  outlier: OutlierPolicy;
  upstreamConnections: number | undefined;
  mirror: MirrorOptions;
  now: () => number;
  random: () => number;
  log: ProxyLogger;
}

/** The full plane configuration from options and defaults. */
export function planeConfig(o: EmbeddedProxyOptions): PlaneConfig {
  return {
    connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
    headersTimeoutMs: o.headersTimeoutMs ?? 30_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    clientHeadersTimeoutMs: o.clientHeadersTimeoutMs ?? 10_000,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? 4_000,
    clientKeepAliveMs: o.clientKeepAliveMs ?? 30_000,
    maxConnections: o.maxConnections ?? 10_000,
    maxHeaderBytes: o.maxHeaderBytes ?? 16 * 1024,
    tunnelIdleMs: o.tunnelIdleMs ?? 3_600_000,
    drainTimeoutMs: o.drainTimeoutMs ?? 30_000,
    tlsReloadIntervalMs: o.tlsReloadIntervalMs ?? 2_000,
    outlier: { ...DEFAULT_OUTLIER_POLICY, ...o.outlier },
    upstreamConnections: o.upstreamConnections,
    mirror: { ...DEFAULT_MIRROR_OPTIONS, ...o.mirror },
    now: o.now ?? Date.now,
    random: o.random ?? Math.random,
    log: o.logger ?? silentLogger,
  };
}

