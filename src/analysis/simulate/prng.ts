/**
 * Seeded randomness for the simulator: xoshiro128** seeded through splitmix32,
 * so a run is reproducible from one integer and never touches Math.random.
 */

/** A source of uniform numbers in [0, 1). Inject one to make a simulation reproducible. */
export interface Rng {
  next(): number;
}

/** A xoshiro128** generator from a 32-bit seed (any integer; equal seeds give equal streams). */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const split = (): number => {
    // splitmix32: spreads any seed, including 0, over the whole state.
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return {
    next(): number {
      const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
      const t = (b << 9) >>> 0;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
      return result / 4294967296;
    },
  };
}

/** Mixes several integers into one seed, e.g. (base, scenario, policy, run). */
export function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 12)) >>> 0;
  }
  return h;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
