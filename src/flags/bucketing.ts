/**
 * Deterministic bucketing, specified so that any SDK in any language gets the
 * same answer (docs/flags.md has the text and bucketing-vectors.json the test
 * vectors):
 *
 *   bytes  = UTF-8(salt) ‖ ":" ‖ UTF-8(value)
 *   hash   = MurmurHash3_x86_32(bytes, seed 0), an unsigned 32-bit integer
 *   bucket = floor(hash × 100000 / 2^32), an integer in [0, 100000)
 *
 * A split gives each variant a contiguous range of buckets, so raising a
 * percentage only adds buckets to a range: nobody already in it leaves.
 */

/** Number of buckets: one bucket is 0.001 % of users. */
export const BUCKETS = 100_000;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, k: number, length: number): number {
  if ((length & 3) !== 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86 32-bit of a byte sequence. */
export function murmur3(bytes: ArrayLike<number>, seed = 0): number {
  let h = seed | 0;
  let k = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    k |= bytes[i] << ((i & 3) << 3);
    if ((i & 3) === 3) {
      h = mixBlock(h, k);
      k = 0;
    }
  }
  return finish(h, k, n);
}

const ENCODER = new TextEncoder();

/** The UTF-8 bytes of `salt:` — computed once per flag, then reused by every evaluation. */
export function saltPrefix(salt: string): Uint8Array {
  return ENCODER.encode(`${salt}:`);
}

/**
 * The 32-bit hash of prefix ‖ UTF-8(value). ASCII values (the usual user ids)
 * are hashed straight from their character codes without allocating.
 */
export function hashWithPrefix(prefix: Uint8Array, value: string): number {
  return prefixedHasher(prefix)(value);
}

/**
 * A hash function for one prefix (a flag's `salt:`), with the prefix's whole
 * 4-byte blocks mixed in advance: per evaluation only the value is hashed.
 */
export function prefixedHasher(prefix: Uint8Array): (value: string) => number {
  let h0 = 0;
  let k0 = 0;
  const n0 = prefix.length;
  for (let i = 0; i < n0; i++) {
    k0 |= prefix[i] << ((i & 3) << 3);
    if ((i & 3) === 3) {
      h0 = mixBlock(h0, k0);
      k0 = 0;
    }
  }
  return (value) => {
    let h = h0;
    let k = k0;
    let n = n0;
    const len = value.length;
    for (let i = 0; i < len; i++, n++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) return hashNonAscii(prefix, value);
      k |= c << ((n & 3) << 3);
      if ((n & 3) === 3) {
        h = mixBlock(h, k);
        k = 0;
      }
    }
    return finish(h, k, n);
  };
}

function hashNonAscii(prefix: Uint8Array, value: string): number {
  const tail = ENCODER.encode(value);
  const bytes = new Uint8Array(prefix.length + tail.length);
  bytes.set(prefix);
  bytes.set(tail, prefix.length);
  return murmur3(bytes);
}

/** The bucket of a 32-bit hash: floor(hash × 100000 / 2^32). */
export function bucketOfHash(hash: number): number {
  return Math.floor((hash * BUCKETS) / 4294967296);
}

/** The bucket, 0 to 99 999, that `value` falls in for a flag with this salt. */
export function bucketOf(salt: string, value: string): number {
  return bucketOfHash(prefixedHasher(saltPrefix(salt))(value));
}

/**
 * The text hashed for a context attribute: strings as they are, finite
 * numbers in their shortest round-trip decimal form (42, 1.5, 1e+21),
 * booleans as "true"/"false". Anything else cannot be bucketed (undefined).
 */
export function bucketingText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

/** Percent (0–100, steps of 0.001) to a number of buckets. */
export function percentToBuckets(percent: number): number {
  return Math.round(percent * (BUCKETS / 100));
}
