import { logFactorial } from '../simulate/sampling.js';

/**
 * Exact probabilities behind the plan's per-step figures: Poisson traffic and
 * binomial errors, computed in log space so that means of 10⁶ cost no more than 10.
 */

/** P(N = n) for N ~ Poisson(mean). */
export function poissonPmf(n: number, mean: number): number {
  if (mean === 0) return n === 0 ? 1 : 0;
  return Math.exp(n * Math.log(mean) - mean - logFactorial(n));
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  if (k < 0 || k > n) return 0;
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X ≥ k) for X ~ Binomial(n, p), summing only where the mass is (±12 standard deviations). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const sd = Math.sqrt(n * p * (1 - p));
  const lo = Math.max(0, Math.floor(n * p - 12 * sd - 12));
  const hi = Math.min(n, Math.ceil(n * p + 12 * sd + 12));
  if (k > hi) return 0;
  if (k <= lo) return 1;
  let above = 0;
  let below = 0;
  // Start at the mode (never underflows) and walk both ways by the pmf's ratio of neighbours.
  const mode = Math.min(hi, Math.max(lo, Math.floor((n + 1) * p)));
  const odds = p / (1 - p);
  const at = binomialPmf(mode, n, p);
  for (let j = mode, pj = at; j <= hi; pj *= ((n - j) / (j + 1)) * odds, j++) {
    if (j >= k) above += pj;
    else below += pj;
  }
  for (let j = mode - 1, pj = (at * mode) / ((n - mode + 1) * odds); j >= lo; pj *= (j / (n - j + 1)) / odds, j--) {
    if (j >= k) above += pj;
    else below += pj;
  }
  // Normalise over the window so rounding in the far tails cannot push the result past 1.
  return above / (above + below);
}

/**
 * E[f(N)] for N ~ Poisson(mean) with N ≥ `from`: a sum over ±10 standard deviations of
 * the mean, in strides for large means (f is expected to vary slowly with N there).
 */
export function poissonExpectation(mean: number, f: (n: number) => number, from = 0): number {
  if (mean === 0) return from <= 0 ? f(0) : 0;
  const sd = Math.sqrt(mean);
  const lo = Math.max(from, Math.floor(mean - 10 * sd - 10));
  const hi = Math.ceil(mean + 10 * sd + 10);
  if (lo > hi) return 0;
  const stride = Math.max(1, Math.floor(sd / 50));
  let sum = 0;
  for (let n = lo; n <= hi; n += stride) {
    // Each stride stands for its whole bucket, evaluated at the bucket's middle.
    const width = Math.min(stride, hi - n + 1);
    const at = n + Math.floor((width - 1) / 2);
    sum += poissonPmf(at, mean) * width * f(at);
  }
  return sum;
}

/** P(N < k) for N ~ Poisson(mean). */
export function poissonBelow(k: number, mean: number): number {
  if (k <= 0) return 0;
  return Math.min(1, poissonExpectation(mean, (n) => (n < k ? 1 : 0)));
}
