import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bucketingText, bucketOf, bucketOfHash, BUCKETS, hashWithPrefix, murmur3, percentToBuckets, saltPrefix } from './bucketing.js';

interface Vectors {
  murmur3: Array<{ input: string; seed: number; hash: number }>;
  vectors: Array<{ salt: string; value: string; hash: number; bucket: number }>;
}

const published = JSON.parse(readFileSync(new URL('../../docs/flags-bucketing-vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('bucketing: the published test vectors', () => {
  it('MurmurHash3 x86_32 matches the reference values', () => {
    expect(published.murmur3.length).toBeGreaterThan(3);
    for (const v of published.murmur3) expect(murmur3(Buffer.from(v.input, 'utf8'), v.seed), v.input).toBe(v.hash);
  });

  it('every vector: hash of salt ":" value, and its bucket', () => {
    expect(published.vectors.length).toBeGreaterThan(15);
    for (const v of published.vectors) {
      expect(hashWithPrefix(saltPrefix(v.salt), v.value), `${v.salt}:${v.value}`).toBe(v.hash);
      expect(murmur3(Buffer.from(`${v.salt}:${v.value}`, 'utf8')), 'byte-wise path').toBe(v.hash);
      expect(bucketOf(v.salt, v.value)).toBe(v.bucket);
    }
  });

  it('covers non-ASCII values and salts, the empty value, and every tail length', () => {
    const values = published.vectors.map((v) => v.value);
    expect(values).toContain('');
    expect(values.some((v) => /[^\x00-\x7f]/.test(v))).toBe(true);
    expect(published.vectors.some((v) => /[^\x00-\x7f]/.test(v.salt))).toBe(true);
    const tails = new Set(published.vectors.map((v) => Buffer.byteLength(`${v.salt}:${v.value}`) % 4));
    expect([...tails].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('bucketing: arithmetic', () => {
  it.each([
    [0, 0],
    [42949, 0],
    [42950, 1],
    [4294967295, 99_999],
    [2147483648, 50_000],
  ])('hash %d is in bucket %d', (hash, bucket) => {
    expect(bucketOfHash(hash)).toBe(bucket);
  });

  it.each([
    [0, 0],
    [0.001, 1],
    [10, 10_000],
    [12.345, 12_345],
    [33.333, 33_333],
    [100, BUCKETS],
  ])('%d %% is %d buckets', (percent, buckets) => {
    expect(percentToBuckets(percent)).toBe(buckets);
  });

  it('turns attribute values into text in a documented way', () => {
    expect(bucketingText('u-1')).toBe('u-1');
    expect(bucketingText(42)).toBe('42');
    expect(bucketingText(1.5)).toBe('1.5');
    expect(bucketingText(true)).toBe('true');
    expect(bucketingText(NaN)).toBeUndefined();
    expect(bucketingText(null)).toBeUndefined();
    expect(bucketingText({ id: 1 })).toBeUndefined();
  });

  it('spreads users evenly and independently across salts', () => {
    const n = 20_000;
    const deciles = new Array<number>(10).fill(0);
    let bothInFirstTenth = 0;
    for (let i = 0; i < n; i++) {
      const a = bucketOf('flag-a', `user-${i}`);
      const b = bucketOf('flag-b', `user-${i}`);
      deciles[Math.floor(a / 10_000)]++;
      if (a < 10_000 && b < 10_000) bothInFirstTenth++;
    }
    // Each decile holds 10 % ± 5 standard deviations.
    const sd = Math.sqrt(n * 0.1 * 0.9);
    for (const d of deciles) expect(Math.abs(d - n / 10)).toBeLessThan(5 * sd);
    // Independent flags: about 1 % of users are in the first 10 % of both.
    expect(bothInFirstTenth / n).toBeGreaterThan(0.006);
    expect(bothInFirstTenth / n).toBeLessThan(0.014);
    // The same salt buckets the same users alike.
    expect(bucketOf('shared', 'user-7')).toBe(bucketOf('shared', 'user-7'));
  });
});
