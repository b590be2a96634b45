import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex, Readable } from 'node:stream';
import type { Routes } from '../routers/router.js';
import { parseListen, sameRoutes } from '../routers/validate.js';
import type { ListenAddress } from '../routers/validate.js';
import type { ServiceSnapshot } from './counters.js';
import { ServiceCounters } from './counters.js';
import { Exchange } from './exchange.js';
import type { PlaneConfig } from './config.js';
import { Listener } from './listener.js';
import type { ListenerOptions } from './listener.js';
import { inspectRequest, rejectionResponse } from './request-guard.js';
import type { RouteTable } from './route-table.js';
import { buildTable, chooseRole, nextUpstream, releaseTable } from './route-table.js';
import type { ServiceScope, ServiceSettings } from './settings.js';
import { settingsFor } from './settings.js';
import { listenFailure } from './support.js';
import type { ProxyLogger } from './support.js';
import { loadTlsPair, TlsWatcher } from './tls.js';
import { tunnel } from './upgrade.js';
import { drawMirror } from './choice.js';
import { Mirror } from './mirror.js';
import { UpstreamPools } from './upstreams.js';

/** One carried service: its scope (what requests read) plus its listener. */
interface ServiceState extends ServiceScope {
  /** Copies of stable's requests to the canary (strategy.canary.mirror), bounded per service. */
  readonly mirror: Mirror;
  listener: Listener;
  tlsWatcher: TlsWatcher | undefined;
  /** Listeners replaced by a listen change, still draining. */
  readonly retired: Set<Promise<void>>;
}

/**
 * The data plane of one process: a listener per service, the route tables its
 * requests are split by, the upstream pools and the counters. It trusts its
 * caller (EmbeddedProxy, or a worker driven by one) to validate routes, to
 * serialise changes per service and to settle listen-address conflicts.
 */
export class LocalPlane {
  private readonly services = new Map<string, ServiceState>();
  private readonly counters = new Map<string, ServiceCounters>();
  private readonly pools: UpstreamPools;

  constructor(private readonly config: PlaneConfig) {
    this.pools = new UpstreamPools({
      connectTimeoutMs: config.connectTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      connections: config.upstreamConnections,
    });
  }

  /** Routes live for `service`, undefined when not carried. */
  routes(service: string): Routes | undefined {
    return this.services.get(service)?.table.routes;
  }

  address(service: string): string | undefined {
    return this.services.get(service)?.listener.url;
  }

  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** True when `routes` can replace the live ones without a new listener (same address, same TLS-ness). */
  canSwap(service: string, routes: Routes): boolean {
    const state = this.services.get(service);
    return state !== undefined && state.table.routes.listen === routes.listen && state.listener.tls === (routes.tls !== undefined);
  }

  /**
   * Swaps the split of a carried service synchronously (see canSwap): the next
   * request obeys it, requests in flight finish where they started.
   */
  swap(service: string, routes: Routes): void {
    const state = this.services.get(service)!;
    if (sameRoutes(state.table.routes, routes)) return;
    if (routes.tls && !sameTls(state.table.routes, routes)) this.watchTls(state, routes, loadTlsPair(service, routes.tls));
    const old = state.table;
    state.table = buildTable(service, routes, old, this.pools);
    state.settings = settingsFor(routes, this.config);
    state.listener.update(this.listenerLimits(state.settings));
    releaseTable(old, state.table, this.pools);
    this.config.log.info({ service, canaryWeight: routes.canaryWeight }, 'proxy routes applied');
  }

  /**
   * Carries `routes` (validated, a private copy): opens or moves the listener
   * when needed, else swaps. `bind` overrides the address to bind (workers bind
   * the port the primary chose for "host:0"). Returns the listener's URL.
   */
  async apply(service: string, routes: Routes, bind?: ListenAddress): Promise<string> {
    if (this.canSwap(service, routes)) {
      this.swap(service, routes);
      return this.services.get(service)!.listener.url;
    }
    const state = this.services.get(service);
    const addr = bind ?? (parseListen(routes.listen) as ListenAddress);
    const tls = routes.tls ? loadTlsPair(service, routes.tls) : undefined;
    const settings = settingsFor(routes, this.config);
    const fresh: ServiceState | undefined = state
      ? undefined
      : {
          name: service,
          table: buildTable(service, routes, undefined, this.pools),
          settings,
          counters: this.countersOf(service),
          mirror: new Mirror(this.countersOf(service), this.config.mirror),
          outlier: this.config.outlier,
          now: this.config.now,
          log: this.config.log,
          listener: undefined as unknown as Listener,
          tlsWatcher: undefined,
          retired: new Set(),
        };
    const target = (state ?? fresh)!;
    // The same port again (TLS switched on or off, or "host:0" pinned to the port it got): the old listener must let go first.
    const sameAddress = state !== undefined && addr.port !== 0 && addr.port === state.listener.address.port;
    if (sameAddress) state.retired.add(state.listener.close(this.config.drainTimeoutMs));
    let listener: Listener;
    try {
      listener = await Listener.open(
        addr,
        {
          request: (req, res, l) => this.route(target, req, res, l),
          upgrade: (req, socket, head, l) => this.upgrade(target, req, socket, head, l),
          rejected: (r) => target.counters.reject(r.reason),
          fast: { scope: target, mirror: target.mirror, random: this.config.random },
        },
        { ...this.listenerLimits(settings), tls, maxHeaderBytes: this.config.maxHeaderBytes },
      );
    } catch (err) {
      if (fresh) releaseTable(fresh.table, undefined, this.pools);
      this.config.log.error({ service, listen: routes.listen, err }, 'proxy could not listen');
      throw listenFailure(service, routes.listen, err);
    }
    this.config.log.info({ service, listen: routes.listen, address: listener.url }, 'proxy listening');
    if (fresh) {
      fresh.listener = listener;
      this.services.set(service, fresh);
      if (routes.tls && tls) this.watchTls(fresh, routes, tls);
      return listener.url;
    }
    const old = state!.listener;
    state!.listener = listener;
    if (!routes.tls) {
      state!.tlsWatcher?.close();
      state!.tlsWatcher = undefined;
    }
    this.swap(service, routes); // (re)watches the TLS files when they changed
    const drained = old.close(this.config.drainTimeoutMs);
    state!.retired.add(drained);
    void drained.then(() => state!.retired.delete(drained));
    return listener.url;
  }

  /** Stops carrying `service`: its listener stops accepting and drains. Unknown service: no-op. */
  async remove(service: string): Promise<void> {
    const state = this.services.get(service);
    if (!state) return;
    this.services.delete(service);
    state.tlsWatcher?.close();
    await Promise.all([state.listener.close(this.config.drainTimeoutMs), ...state.retired]);
    releaseTable(state.table, undefined, this.pools);
    this.config.log.info({ service }, 'proxy stopped carrying service');
  }

  /** Closes every listener and pool, letting in-flight requests finish first. */
  async close(): Promise<void> {
    await Promise.all([...this.services.keys()].map((s) => this.remove(s)));
    await this.pools.closeAll(this.config.drainTimeoutMs);
  }

  /** Cumulative counters of `service` (a deep copy); undefined if never carried. */
  snapshot(service: string, at: number): ServiceSnapshot | undefined {
    return this.counters.get(service)?.snapshot(at);
  }

  /** Names of every service ever carried (their counters outlive them). */
  countedServices(): string[] {
    return [...this.counters.keys()];
  }

  /** The hot path: refuse what must not be forwarded, pick a version and an instance, hand the exchange to its pool. */
  private route(state: ServiceState, req: IncomingMessage, res: ServerResponse, listener: Listener): void {
    const start = performance.now();
    const inspected = inspectRequest(req);
    if (typeof inspected !== 'boolean') {
      const rejection = inspected;
      state.counters.reject(rejection.reason);
      res.shouldKeepAlive = false;
      res.writeHead(rejection.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(rejection.body) });
      res.end(rejection.body);
      return;
    }
    const table = state.table;
    const role = chooseRole(table, req, res, this.config.random, listener.tls);
    const upstream = nextUpstream(role === 'stable' ? table.stable : table.canary, this.config.now);
    if (listener.closing) res.shouldKeepAlive = false;
    const proto = listener.tls ? 'https' : 'http';
    let body: Readable | null = inspected ? req : null;
    if (drawMirror(table.choice, role, this.config.random)) {
      if (body === null) state.mirror.copy(req, table, proto, this.config.now);
      else body = state.mirror.tee(req, table, proto, this.config.now);
    }
    Exchange.forward(req, res, state, role, upstream, proto, start, body);
  }

  private upgrade(state: ServiceState, req: IncomingMessage, socket: Duplex, head: Buffer, listener: Listener): void {
    const start = performance.now();
    const rejection = inspectRequest(req);
    if (typeof rejection !== 'boolean') {
      state.counters.reject(rejection.reason);
      socket.end(rejectionResponse(rejection));
      return;
    }
    listener.track(socket);
    const table = state.table;
    const role = chooseRole(table, req, undefined, this.config.random);
    const upstream = nextUpstream(role === 'stable' ? table.stable : table.canary, this.config.now);
    const proto = listener.tls ? 'https' : 'http';
    tunnel(req, socket, head, state, role, upstream, proto, start, this.config.tunnelIdleMs, (s) => listener.track(s));
  }

  private listenerLimits(settings: ServiceSettings): Pick<ListenerOptions, 'clientHeadersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'> {
    return {
      clientHeadersTimeoutMs: settings.clientHeadersTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      keepAliveTimeoutMs: this.config.clientKeepAliveMs,
      maxConnections: this.config.maxConnections,
    };
  }

  /** Installs `pair` now (when the listener is already up) and reloads it whenever its files change. */
  private watchTls(state: ServiceState, routes: Routes, pair: ReturnType<typeof loadTlsPair>): void {
    state.tlsWatcher?.close();
    if (state.listener) state.listener.setCertificate(pair);
    state.tlsWatcher = new TlsWatcher(state.name, routes.tls!, (p) => state.listener.setCertificate(p), this.config.log, this.config.tlsReloadIntervalMs);
  }

  private countersOf(service: string): ServiceCounters {
    let c = this.counters.get(service);
    if (!c) this.counters.set(service, (c = new ServiceCounters()));
    return c;
  }
}

function sameTls(a: Routes, b: Routes): boolean {
  return a.tls?.certFile === b.tls?.certFile && a.tls?.keyFile === b.tls?.keyFile;
}
