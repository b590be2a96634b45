/**
 * A data plane that splits one service's traffic between stable and canary.
 * Implementations are idempotent: applying the same routes twice is harmless,
 * so a restarted controller simply re-applies what it persisted.
 */

/** The desired split for one service. */
export interface Routes {
  /** host:port the data plane accepts client traffic on. */
  listen: string;
  stable: string[];
  canary: string[];
  /** Share of requests sent to canary, 0–100. */
  canaryWeight: number;
}

export interface TrafficRouter {
  readonly type: string;
  /** Make the data plane carry `routes` for `service`; resolves once the next request obeys them. */
  setRoutes(service: string, routes: Routes): Promise<void>;
  /** What the data plane is carrying now, read back from it (undefined: service unknown). */
  getRoutes(service: string): Promise<Routes | undefined>;
  /** Stop carrying the service at all (delete). */
  finalize(service: string): Promise<void>;
}

/** Routes that send everything to stable: the rollback. */
export function allToStable(routes: Routes): Routes {
  return { ...routes, canaryWeight: 0 };
}
