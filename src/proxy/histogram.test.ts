import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, Histogram, HistogramError, MAX_MS, MIN_MS, bucketIndex } from './histogram.js';

/** Deterministic PRNG (mulberry32) so the tables below are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank quantile of a sorted array: the ⌈q·n⌉-th smallest. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

const r = rng(42);
const DISTRIBUTIONS: Array<[string, () => number]> = [
  ['uniform 1–100 ms', () => 1 + 99 * r()],
  ['log-uniform 0.01 ms – 1 h', () => MIN_MS * Math.pow(MAX_MS / MIN_MS, r())],
  ['exponential mean 20 ms, from 0.01 ms', () => MIN_MS - 20 * Math.log(1 - r())],
  ['bimodal 2 ms / 800 ms', () => (r() < 0.9 ? 2 + r() : 800 + 50 * r())],
  ['sub-millisecond', () => 0.01 + 0.5 * r()],
  ['constant 250 ms', () => 250],
];
const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

describe('Histogram', () => {
  it.each(DISTRIBUTIONS)('quantiles of %s are within 2 percent of the exact sorted values', (_name, draw) => {
    const values = Array.from({ length: 20_000 }, draw);
    const h = new Histogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    expect(h.count).toBe(values.length);
    for (const q of QUANTILES) {
      const want = exact(sorted, q);
      const got = h.quantile(q);
      expect(Math.abs(got - want) / want, `q=${q}: got ${got}, exact ${want}`).toBeLessThanOrEqual(0.02);
    }
  });

  it.each([
    [0.01, 0],
    [0.0099, 0],
    [0, 0],
    [-5, 0],
    [Number.NaN, 0],
    [MAX_MS, BUCKET_COUNT - 1],
    [10 * MAX_MS, BUCKET_COUNT - 1],
  ])('bucketIndex(%d) = %d (clamped to the layout)', (ms, want) => {
    expect(bucketIndex(ms)).toBe(want);
  });

  it('keeps the layout small enough to snapshot often', () => {
    expect(BUCKET_COUNT).toBeLessThan(1_100);
  });

  it('merge equals recording both inputs into one histogram', () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 5_000; i++) {
      const v = DISTRIBUTIONS[i % DISTRIBUTIONS.length][1]();
      (i % 3 === 0 ? a : b).record(v);
      both.record(v);
    }
    const merged = a.clone().merge(b).toData();
    expect(merged.buckets).toEqual(both.toData().buckets);
    expect(merged.count).toBe(5_000);
    expect(merged.sum).toBeCloseTo(both.sum, 3);
  });

  it('subtract gives the window between two cumulative snapshots', () => {
    const live = new Histogram();
    for (let i = 0; i < 1_000; i++) live.record(5);
    const earlier = Histogram.fromData(live.toData());
    for (let i = 0; i < 100; i++) live.record(400);
    const window = Histogram.fromData(live.toData()).subtract(earlier);
    expect(window.count).toBe(100);
    expect(window.quantile(0.5)).toBeCloseTo(400, -1);
    expect(window.sum).toBeCloseTo(40_000, 3);
  });

  it('subtract refuses an earlier snapshot that is not part of the later one, leaving it unchanged', () => {
    const later = new Histogram();
    later.record(1);
    const earlier = new Histogram();
    earlier.record(1);
    earlier.record(9);
    const before = later.toData();
    let caught: unknown;
    try {
      later.subtract(earlier);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HistogramError);
    expect((caught as HistogramError).code).toBe('SLUICE_HISTOGRAM_NEGATIVE');
    expect(later.toData()).toEqual(before);
  });

  it('round-trips through compact JSON', () => {
    const h = new Histogram();
    for (let i = 1; i <= 300; i++) h.record(i);
    const json = JSON.stringify(h.toData());
    const back = Histogram.fromData(JSON.parse(json));
    expect(back.toData()).toEqual(h.toData());
    expect(back.quantile(0.99)).toBe(h.quantile(0.99));
    expect(json.length).toBeLessThan(6_000);
  });

  it.each([
    [{ count: 1, sum: 1, buckets: [[BUCKET_COUNT, 1]] }, /bad bucket/],
    [{ count: 1, sum: 1, buckets: [[3, -1]] }, /bad bucket/],
    [{ count: 2, sum: 1, buckets: [[3, 1]] }, /does not match/],
    [{ count: 0, sum: 0 }, /buckets/],
  ])('fromData rejects malformed data %j', (data, message) => {
    expect(() => Histogram.fromData(data as never)).toThrow(message);
  });

  it('an empty histogram has no quantiles', () => {
    expect(new Histogram().quantile(0.5)).toBeNaN();
    expect(() => new Histogram().quantile(1.5)).toThrow(/0–1/);
  });
});
