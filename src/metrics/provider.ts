/**
 * A source of measurements for analysis. Queries never throw: an outage or a
 * missing series is a Measurement with phase `error` or `nodata`, which the
 * analysis treats as inconclusive — never as a pass.
 */

export type MeasurementPhase = 'ok' | 'nodata' | 'error';

export interface MetricQuery {
  service: string;
  version: 'stable' | 'canary';
  /** Provider-specific metric name, e.g. "success-rate" or "latency-p99" for builtin. */
  metric: string;
  /** Window, ms since epoch. */
  from: number;
  to: number;
  /** The proxy's host:port for the service, for templates that use `{{listen}}`. */
  listen?: string;
}

export interface Measurement {
  phase: MeasurementPhase;
  value?: number;
  /** Samples (requests) the value rests on, when the provider knows. */
  samples?: number;
  message?: string;
}

export interface MetricProvider {
  readonly type: string;
  query(q: MetricQuery): Promise<Measurement>;
}
