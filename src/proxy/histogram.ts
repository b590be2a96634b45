/**
 * A mergeable latency histogram with logarithmic buckets.
 *
 * Every histogram shares one fixed bucket layout, so any two can be merged or
 * subtracted bucket by bucket: the builtin metric provider takes a window as
 * "later snapshot minus earlier snapshot" without ever seeing single requests.
 * Quantiles are exact to within 1% relative error from 0.01 ms to one hour
 * (the requirement is 2%); values outside that range are clamped into the
 * first and last buckets.
 */

/** Plain-JSON form of a histogram: sparse `[bucketIndex, count]` pairs. */
export interface HistogramData {
  count: number;
  /** Sum of recorded values in milliseconds (for means and Prometheus `_sum`). */
  sum: number;
  buckets: Array<[index: number, count: number]>;
}

/** Relative accuracy of a bucket's representative value. */
const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Smallest value resolved; bucket 0 holds [0, MIN_MS]. */
export const MIN_MS = 0.01;
/** Largest value resolved: one hour. */
export const MAX_MS = 3_600_000;
/** Bucket i ≥ 1 holds (MIN_MS·γ^(i−1), MIN_MS·γ^i]. */
export const BUCKET_COUNT = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GAMMA) + 1;

/** The bucket a value falls into (clamped to the layout). */
export function bucketIndex(ms: number): number {
  if (!(ms > MIN_MS)) return 0; // also catches NaN and negatives
  const i = Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA);
  return i < BUCKET_COUNT ? i : BUCKET_COUNT - 1;
}

/** Upper bound of bucket `i` in milliseconds (every value in it is ≤ this). */
export function bucketUpperBound(i: number): number {
  return MIN_MS * Math.pow(GAMMA, i);
}

/** The value reported for bucket `i`: within ALPHA of anything in it. */
function bucketValue(i: number): number {
  if (i === 0) return MIN_MS;
  return (2 * bucketUpperBound(i)) / (GAMMA + 1);
}

/** Raised when histogram data is malformed or a subtraction would go negative. */
export class HistogramError extends Error {
  readonly code: 'SLUICE_HISTOGRAM_DATA' | 'SLUICE_HISTOGRAM_NEGATIVE';
  constructor(code: HistogramError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HistogramError';
    this.code = code;
  }
}

export class Histogram {
  /** Dense counts; Float64 keeps cumulative counts exact up to 2^53. */
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumMs = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Sum of recorded values in milliseconds. */
  get sum(): number {
    return this.sumMs;
  }

  record(ms: number): void {
    this.counts[bucketIndex(ms)]++;
    this.total++;
    if (ms > 0) this.sumMs += ms;
  }

  /**
   * The value at quantile `q` (0–1) by nearest rank: the ⌈q·n⌉-th smallest value,
   * within 1% relative error. NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be within 0–1, got ${q}`);
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i];
      if (seen >= rank) return bucketValue(i);
    }
    return bucketValue(BUCKET_COUNT - 1);
  }

  /**
   * Cumulative counts up to and including each bucket index in `indices`
   * (ascending): how many values are ≤ `bucketUpperBound(index)`. One pass.
   */
  cumulativeCounts(indices: readonly number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let i = 0;
    for (const last of indices) {
      const end = Math.min(last, BUCKET_COUNT - 1);
      for (; i <= end; i++) seen += this.counts[i];
      out.push(seen);
    }
    return out;
  }

  /** Adds `other` into this histogram. */
  merge(other: Histogram): this {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    this.sumMs += other.sumMs;
    return this;
  }

  /**
   * Removes `earlier` from this histogram: `later.subtract(earlier)` is the window
   * between two snapshots. Throws SLUICE_HISTOGRAM_NEGATIVE (leaving this unchanged)
   * when `earlier` is not a prefix of this one, e.g. the proxy restarted in between.
   */
  subtract(earlier: Histogram): this {
    for (let i = 0; i < BUCKET_COUNT; i++) {
      if (earlier.counts[i] > this.counts[i]) {
        throw new HistogramError(
          'SLUICE_HISTOGRAM_NEGATIVE',
          `histogram subtract: bucket ${i} would go negative (${this.counts[i]} − ${earlier.counts[i]}); ` +
            'the earlier snapshot is not part of the later one (counters were reset, or the arguments are swapped)',
        );
      }
    }
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i] -= earlier.counts[i];
    this.total -= earlier.total;
    this.sumMs = Math.max(0, this.sumMs - earlier.sumMs);
    return this;
  }

  clone(): Histogram {
    return new Histogram().merge(this);
  }

  toData(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]]);
    return { count: this.total, sum: this.sumMs, buckets };
  }

  /** Rebuilds a histogram from `toData()` output; throws SLUICE_HISTOGRAM_DATA on malformed input. */
  static fromData(data: HistogramData): Histogram {
    const h = new Histogram();
    if (data === null || typeof data !== 'object' || !Array.isArray(data.buckets)) {
      throw new HistogramError('SLUICE_HISTOGRAM_DATA', 'histogram data must be an object with a `buckets` array');
    }
    let total = 0;
    for (const pair of data.buckets) {
      const [i, n] = Array.isArray(pair) ? pair : [NaN, NaN];
      if (!Number.isInteger(i) || i < 0 || i >= BUCKET_COUNT || !Number.isInteger(n) || n < 0) {
        throw new HistogramError(
          'SLUICE_HISTOGRAM_DATA',
          `histogram data: bad bucket ${JSON.stringify(pair)}; expected [index 0–${BUCKET_COUNT - 1}, count ≥ 0]`,
        );
      }
      h.counts[i] += n;
      total += n;
    }
    if (data.count !== total) {
      throw new HistogramError(
        'SLUICE_HISTOGRAM_DATA',
        `histogram data: count ${data.count} does not match the bucket total ${total}`,
      );
    }
    h.total = total;
    h.sumMs = Number.isFinite(data.sum) && data.sum > 0 ? data.sum : 0;
    return h;
  }
}
