import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Routes } from '../routers/router.js';
import type { ListenAddress } from '../routers/validate.js';
import { copyRoutes, parseListen, sameRoutes, validateRoutes } from '../routers/validate.js';
import type { ServiceSnapshot } from './counters.js';
import { ServiceCounters } from './counters.js';
import { ProxyError } from './errors.js';
import { Exchange } from './exchange.js';
import { Listener } from './listener.js';
import { renderMetrics } from './metrics-text.js';
import type { RouteTable } from './route-table.js';
import { buildTable, chooseRole, nextUpstream, releaseTable } from './route-table.js';
import { UpstreamPools } from './upstreams.js';
import { listenFailure, type ProxyLogger, silentLogger } from './support.js';

export type { ProxyLogger } from './support.js';

export interface EmbeddedProxyOptions {
  /** Wait for an upstream's response headers this long, then answer 504. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest silence while an upstream streams its body. Default 300 s. */
  bodyTimeoutMs?: number;
  /** Wait this long for an upstream to accept a connection, then answer 504. Default 10 s. */
  connectTimeoutMs?: number;
  /** Idle upstream keep-alive connections are closed after this long. Default 4 s. */
  keepAliveTimeoutMs?: number;
  /** Grace period for in-flight requests when a listener or the proxy closes. Default 30 s. */
  drainTimeoutMs?: number;
  /** Wall clock for snapshot timestamps (ms since the epoch). */
  now?: () => number;
  /** Uniform [0, 1) source for the weighted split. */
  random?: () => number;
  logger?: ProxyLogger;
}

/** One service the proxy carries. The listener's handler reads `table` on every request. */
interface ServiceState {
  readonly name: string;
  table: RouteTable;
  listener: Listener;
  /** "host:port" this service claims, undefined for an ephemeral port (0). */
  listenKey: string | undefined;
  readonly counters: ServiceCounters;
  /** Listeners replaced by a listen change, still draining. */
  readonly retired: Set<Promise<void>>;
}

function listenKey(addr: ListenAddress): string | undefined {
  return addr.port === 0 ? undefined : `${addr.host || '*'}:${addr.port}`;
}

/**
 * The embedded data plane: one HTTP listener per service, splitting requests
 * between stable and canary instances by weight, streaming both ways through
 * keep-alive undici pools, and counting requests, errors and latency per version.
 */
export class EmbeddedProxy {
  private readonly services = new Map<string, ServiceState>();
  private readonly counters = new Map<string, ServiceCounters>();
  private readonly claims = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly pools: UpstreamPools;
  private readonly drainMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: ProxyLogger;
  private closing: Promise<void> | undefined;

  constructor(options: EmbeddedProxyOptions = {}) {
    this.pools = new UpstreamPools({
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 300_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 4_000,
    });
    this.drainMs = options.drainTimeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = options.logger ?? silentLogger;
  }

  /**
   * Carries `routes` for `service`. The first call opens the listener (resolving once
   * it listens); later calls swap the split atomically, so the next request obeys it
   * and in-flight requests finish where they started. A change of weight or upstream
   * lists takes effect synchronously, before this returns. Same routes again: no-op.
   */
  setRoutes(service: string, routes: Routes): Promise<void> {
    try {
      if (this.closing) throw new ProxyError('SLUICE_PROXY_CLOSED', 'sluice: the proxy is closed; create a new one', { service });
      validateRoutes(service, routes);
      const state = this.services.get(service);
      if (state && !this.queues.has(service) && state.table.routes.listen === routes.listen) {
        this.swap(state, routes);
        return Promise.resolve();
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const wanted = copyRoutes(routes);
    return this.enqueue(service, () => this.apply(service, wanted));
  }

  /** The routes live for `service` now; undefined when the proxy does not carry it. */
  getRoutes(service: string): Routes | undefined {
    const state = this.services.get(service);
    return state ? copyRoutes(state.table.routes) : undefined;
  }

  /** Base URL the service's listener is bound to (port 0 resolved), e.g. "http://127.0.0.1:41234". */
  address(service: string): string | undefined {
    return this.services.get(service)?.listener.url;
  }

  /** Names of the services carried now. */
  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** Stops carrying `service`: its listener stops accepting and drains. Unknown service: no-op. */
  removeService(service: string): Promise<void> {
    return this.enqueue(service, async () => {
      const state = this.services.get(service);
      if (!state) return;
      this.services.delete(service);
      if (state.listenKey !== undefined && this.claims.get(state.listenKey) === service) this.claims.delete(state.listenKey);
      await Promise.all([state.listener.close(this.drainMs), ...state.retired]);
      releaseTable(state.table, undefined, this.pools);
      this.log.info({ service }, 'proxy stopped carrying service');
    });
  }

  /** Closes every listener and upstream pool, letting in-flight requests finish first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.queues.values());
      await Promise.all([...this.services.keys()].map((s) => this.removeService(s)));
      await this.pools.closeAll(this.drainMs);
    })();
    return this.closing;
  }

  /** Cumulative counters of `service` since the proxy started (a deep copy); undefined if never carried. */
  snapshot(service: string): ServiceSnapshot | undefined {
    return this.counters.get(service)?.snapshot(this.now());
  }

  /** Prometheus text exposition of every service's counters and live weights. */
  metricsText(): string {
    const weights = new Map<string, number>();
    for (const [name, s] of this.services) weights.set(name, s.table.routes.canaryWeight);
    return renderMetrics(this.counters, weights);
  }

  /** The hot path: pick a version and an instance, then hand the exchange to its pool. */
  private route(state: ServiceState, req: IncomingMessage, res: ServerResponse, listener: Listener): void {
    const start = performance.now();
    const table = state.table;
    const role = chooseRole(table, this.random);
    const upstream = nextUpstream(role === 'stable' ? table.stable : table.canary);
    if (listener.closing) res.shouldKeepAlive = false;
    Exchange.forward(req, res, role, upstream, state.counters[role], start);
  }

  /** Swaps in a table for `routes` (validated) on a carried service; synchronous. */
  private swap(state: ServiceState, routes: Routes): void {
    if (sameRoutes(state.table.routes, routes)) return;
    const old = state.table;
    state.table = buildTable(copyRoutes(routes), old, this.pools);
    releaseTable(old, state.table, this.pools);
    this.log.info({ service: state.name, canaryWeight: routes.canaryWeight }, 'proxy routes applied');
  }

  /** Serialised per service: applies routes that need a (new) listener, or swaps. */
  private async apply(service: string, routes: Routes): Promise<void> {
    const addr = parseListen(routes.listen) as ListenAddress;
    const key = listenKey(addr);
    const state = this.services.get(service);
    if (state && state.table.routes.listen === routes.listen) return this.swap(state, routes);
    const owner = key === undefined ? undefined : this.claims.get(key);
    if (owner !== undefined && owner !== service) {
      throw new ProxyError(
        'SLUICE_PROXY_LISTEN_CONFLICT',
        `sluice: cannot listen on ${routes.listen} for service "${service}": service "${owner}" already listens there; give each service its own listen address`,
        { service },
      );
    }
    if (key !== undefined) this.claims.set(key, service);
    const target: ServiceState = state ?? {
      name: service,
      table: buildTable(routes, undefined, this.pools),
      listener: undefined as unknown as Listener,
      listenKey: key,
      counters: this.countersOf(service),
      retired: new Set(),
    };
    let listener: Listener;
    try {
      listener = await Listener.open(addr, (req, res, l) => this.route(target, req, res, l));
    } catch (err) {
      if (key !== undefined && key !== state?.listenKey) this.claims.delete(key);
      if (!state) releaseTable(target.table, undefined, this.pools);
      this.log.error({ service, listen: routes.listen, err }, 'proxy could not listen');
      throw listenFailure(service, routes.listen, err);
    }
    this.log.info({ service, listen: routes.listen, address: listener.url }, 'proxy listening');
    if (!state) {
      target.listener = listener;
      this.services.set(service, target);
      return;
    }
    const old = state.listener;
    if (state.listenKey !== undefined && state.listenKey !== key) this.claims.delete(state.listenKey);
    state.listener = listener;
    state.listenKey = key;
    this.swap(state, routes);
    const drained = old.close(this.drainMs);
    state.retired.add(drained);
    void drained.then(() => state.retired.delete(drained));
  }

  private countersOf(service: string): ServiceCounters {
    let c = this.counters.get(service);
    if (!c) this.counters.set(service, (c = new ServiceCounters()));
    return c;
  }

  private enqueue(service: string, op: () => Promise<void>): Promise<void> {
    const run = (this.queues.get(service) ?? Promise.resolve()).then(op);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(service, tail);
    void tail.then(() => {
      if (this.queues.get(service) === tail) this.queues.delete(service);
    });
    return run;
  }
}
