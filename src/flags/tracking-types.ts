import type { HistogramData } from '../proxy/histogram.js';

/**
 * The wire form of tracked outcomes: what the OpenFeature provider sends to
 * POST /sdk/v1/track, batched per flag variant. Counts are since the
 * provider's previous batch; the server adds them to cumulative counters.
 */

/** The tracking event names the provider counts (`client.track(name, context, details)`). */
export const TRACK_REQUEST = 'request';
export const TRACK_ERROR = 'error';

/** Outcomes of the users served one variant of one flag since the previous batch. */
export interface VariantOutcomes {
  flag: string;
  variant: string;
  /** Units of work (requests) reported by users on this variant. */
  requests: number;
  /** Of them, how many failed. */
  errors: number;
  /** Their latency in milliseconds, when reported (mergeable histogram). */
  latency?: HistogramData;
}

/** The body of POST /sdk/v1/track. */
export interface TrackingBatch {
  outcomes: VariantOutcomes[];
}
