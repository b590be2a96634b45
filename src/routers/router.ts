import type { MatchRule, MirrorSettings, Stickiness } from './routing.js';

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
  /** Data-plane timeouts for this service; omitted ones take the data plane's defaults. */
  timeouts?: RouteTimeouts;
  /** Terminate TLS on `listen` with this PEM certificate and key (reloaded when the files change). */
  tls?: { certFile: string; keyFile: string };
  /** Retry idempotent, bodiless requests on stable when a canary instance refused the connection. */
  retryToStable?: boolean;
  /** Assign requests by a stable hash of a key instead of at random (routing.ts). */
  stickiness?: Stickiness;
  /** Requests matching any rule go to the canary whatever the weight (routing.ts). */
  match?: MatchRule[];
  /** Copy a share of stable's requests to the canary, discarding its answers (routing.ts). */
  mirror?: MirrorSettings;
  /** Blue-green preview: a second address where every request goes to the canary (the new version alone, for testers). */
  preview?: { listen: string };
}

/** Timeouts in milliseconds (see docs/rollout-spec.md `spec.service.timeouts`). */
export interface RouteTimeouts {
  /** An upstream instance must accept the connection within this (else 504). */
  connectMs?: number;
  /** An upstream must send its response headers within this (else 504). */
  headersMs?: number;
  /** Longest silence from either side while a request is in flight. */
  idleMs?: number;
  /** A client must send its complete request headers within this (slowloris). */
  clientHeadersMs?: number;
}

export interface TrafficRouter {
  readonly type: string;
  /** The data plane that carries routes listening on `listen`, when this router combines several (default `type`): for messages. */
  typeFor?(listen: string): string;
  /** Make the data plane carry `routes` for `service`; resolves once the next request obeys them. */
  setRoutes(service: string, routes: Routes): Promise<void>;
  /** What the data plane is carrying now, read back from it (undefined: service unknown). */
  getRoutes(service: string): Promise<Routes | undefined>;
  /** Stop carrying the service at all (delete). */
  finalize(service: string): Promise<void>;
}

/** Routes that send everything to stable: the rollback. No match rule or mirror sends the canary anything. */
export function allToStable(routes: Routes): Routes {
  const { match: _match, mirror: _mirror, preview: _preview, ...rest } = routes;
  return { ...rest, canaryWeight: 0 };
}
