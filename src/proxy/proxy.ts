import type { Routes } from '../routers/router.js';
import { copyRoutes, parseListen, validateRoutes } from '../routers/validate.js';
import type { ListenAddress } from '../routers/validate.js';
import type { ServiceSnapshot } from './counters.js';
import { ProxyError } from './errors.js';
import { planeConfig } from './config.js';
import type { EmbeddedProxyOptions } from './config.js';
import { renderMetrics } from './metrics-text.js';
import { LocalPlane } from './plane.js';
import { WorkerPlanes } from './workers.js';

export type { ProxyLogger } from './support.js';
export type { EmbeddedProxyOptions } from './config.js';

/** What the proxy drives: this process's own plane, or a set of worker processes. */
export interface DataPlane {
  apply(service: string, routes: Routes): Promise<string>;
  /** True when `swap` may apply `routes` synchronously. */
  canSwap(service: string, routes: Routes): boolean;
  swap(service: string, routes: Routes): void;
  remove(service: string): Promise<void>;
  close(): Promise<void>;
  snapshot(service: string, at: number): ServiceSnapshot | undefined;
  countedServices(): string[];
}

function listenKey(addr: ListenAddress): string | undefined {
  return addr.port === 0 ? undefined : `${addr.host || '*'}:${addr.port}`;
}

/**
 * The embedded data plane: one HTTP(S) listener per service, splitting requests
 * between stable and canary instances by weight, streaming both ways through
 * keep-alive undici pools, and counting requests, errors and latency per version.
 */
export class EmbeddedProxy {
  private readonly carried = new Map<string, { routes: Routes; url: string; listenKey: string | undefined }>();
  private readonly claims = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly plane: DataPlane;
  private readonly now: () => number;
  private closing: Promise<void> | undefined;

  constructor(options: EmbeddedProxyOptions = {}) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new ProxyError('SLUICE_PROXY_WORKER', `sluice: proxy workers must be a whole number from 1 to 64, got ${workers}`);
    }
    const config = planeConfig(options);
    this.now = config.now;
    this.plane = workers === 1 ? new LocalPlane(config) : new WorkerPlanes(workers, options, config.log);
  }

  /**
   * Carries `routes` for `service`. The first call opens the listener (resolving once
   * it listens); later calls swap the split atomically, so the next request obeys it
   * and in-flight requests finish where they started. In this process a change of
   * weight or upstream lists takes effect synchronously, before this returns; with
   * workers, before the promise resolves. Same routes again: no-op.
   */
  setRoutes(service: string, routes: Routes): Promise<void> {
    try {
      if (this.closing) throw new ProxyError('SLUICE_PROXY_CLOSED', 'sluice: the proxy is closed; create a new one', { service });
      validateRoutes(service, routes);
      const live = this.carried.get(service);
      if (live && !this.queues.has(service) && this.plane.canSwap(service, routes)) {
        const copy = copyRoutes(routes);
        this.plane.swap(service, copy);
        live.routes = copy;
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
    const live = this.carried.get(service);
    return live ? copyRoutes(live.routes) : undefined;
  }

  /** Base URL the service's listener is bound to (port 0 resolved), e.g. "http://127.0.0.1:41234". */
  address(service: string): string | undefined {
    return this.carried.get(service)?.url;
  }

  /** Names of the services carried now. */
  serviceNames(): string[] {
    return [...this.carried.keys()];
  }

  /** Stops carrying `service`: its listener stops accepting and drains. Unknown service: no-op. */
  removeService(service: string): Promise<void> {
    return this.enqueue(service, async () => {
      const live = this.carried.get(service);
      if (!live) return;
      this.carried.delete(service);
      if (live.listenKey !== undefined && this.claims.get(live.listenKey) === service) this.claims.delete(live.listenKey);
      await this.plane.remove(service);
    });
  }

  /** Closes every listener and upstream pool (and worker), letting in-flight requests finish first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.queues.values());
      await Promise.all([...this.carried.keys()].map((s) => this.removeService(s)));
      await this.plane.close();
    })();
    return this.closing;
  }

  /** Cumulative counters of `service` since the proxy started (a deep copy); undefined if never carried. */
  snapshot(service: string): ServiceSnapshot | undefined {
    return this.plane.snapshot(service, this.now());
  }

  /** Prometheus text exposition of every service's counters and live weights. */
  metricsText(): string {
    const at = this.now();
    const snapshots = new Map<string, ServiceSnapshot>();
    for (const s of this.plane.countedServices()) {
      const snap = this.plane.snapshot(s, at);
      if (snap) snapshots.set(s, snap);
    }
    const weights = new Map<string, number>();
    for (const [name, live] of this.carried) weights.set(name, live.routes.canaryWeight);
    return renderMetrics(snapshots, weights);
  }

  /** Serialised per service: applies routes that need a (new) listener, or swaps. */
  private async apply(service: string, routes: Routes): Promise<void> {
    const key = listenKey(parseListen(routes.listen) as ListenAddress);
    const live = this.carried.get(service);
    const owner = key === undefined ? undefined : this.claims.get(key);
    if (owner !== undefined && owner !== service) {
      throw new ProxyError(
        'SLUICE_PROXY_LISTEN_CONFLICT',
        `cannot listen on ${routes.listen} for service "${service}": service "${owner}" already listens there; give each service its own listen address`,
        { service },
      );
    }
    if (key !== undefined) this.claims.set(key, service);
    let url: string;
    try {
      url = await this.plane.apply(service, routes);
    } catch (err) {
      if (key !== undefined && key !== live?.listenKey) this.claims.delete(key);
      throw err;
    }
    if (live && live.listenKey !== undefined && live.listenKey !== key) this.claims.delete(live.listenKey);
    this.carried.set(service, { routes, url, listenKey: key });
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
