/**
 * Per-version live traffic as the API and the event stream send it. Pure types
 * (no imports): the dashboard's build compiles this file too.
 */

export interface VersionLive {
  /** Requests per second. */
  rps: number;
  /** Percent of requests that errored (5xx or proxy error). */
  errorRate: number;
  p99?: number;
  requests: number;
}

export interface LiveView {
  windowSeconds: number;
  stable: VersionLive;
  canary: VersionLive;
}
