import type { CountBatch, RatioWeight } from './sequential-types.js';

/**
 * The arithmetic of the mixture likelihood ratio on the split of events.
 *
 * Canary and stable events are Poisson processes with rates θ·λ(t)·canaryRequests
 * and λ(t)·stableRequests, λ(t) an unknown baseline shared by both. Given that a
 * batch holds n events, the canary's count is Binomial(n, p) with
 * p = sθ / (sθ + 1 − s), s the canary's share of the batch's requests — λ(t)
 * cancels, so the baseline may drift however it likes. The likelihood ratio of
 * θ₁ against θ₀ over a batch is (p₁/p₀)^c · ((1−p₁)/(1−p₀))^k, which simplifies to
 * (θ₁/θ₀)^c · ((1 + s(θ₀−1)) / (1 + s(θ₁−1)))^(c+k).
 *
 * Products over batches are non-negative martingales under θ₀ (supermartingales
 * for every θ on the far side of θ₀ from θ₁, because the binomial family has a
 * monotone likelihood ratio in θ), and so is any fixed mixture of them; Ville's
 * inequality then bounds the chance that the mixture ever reaches 1/alpha by alpha.
 * If errors are per-request Bernoulli draws rather than Poisson, the null split of a
 * batch is hypergeometric; that is smaller than the binomial in convex order and each
 * factor is convex in c, so the factors still have expectation ≤ 1 and the bound holds.
 * A batch must cover one traffic split: cut batches where the weight changes.
 */

/** Log likelihood-ratio increment of one batch for θ₁ against θ₀. 0 when the batch carries no split information. */
export function batchLogLR(batch: CountBatch, ratio1: number, ratio0: number): number {
  const requests = batch.canaryRequests + batch.stableRequests;
  const events = batch.canaryErrors + batch.stableErrors;
  if (events === 0 || batch.canaryRequests === 0 || batch.stableRequests === 0) return 0;
  const share = batch.canaryRequests / requests;
  return (
    batch.canaryErrors * Math.log(ratio1 / ratio0) +
    events * (Math.log1p(share * (ratio0 - 1)) - Math.log1p(share * (ratio1 - 1)))
  );
}

/** Adds one batch to every component's log likelihood ratio. */
export function accumulate(
  logLR: readonly number[],
  mixture: readonly RatioWeight[],
  batch: CountBatch,
  nullRatio: number,
): number[] {
  return logLR.map((value, i) => value + batchLogLR(batch, mixture[i].ratio, nullRatio));
}

/** Log of the mixture Bayes factor Σ wᵢ·LRᵢ (weights already normalised), computed without overflow. */
export function mixtureLogBF(logLR: readonly number[], mixture: readonly RatioWeight[]): number {
  let max = -Infinity;
  const terms = new Array<number>(logLR.length);
  for (let i = 0; i < logLR.length; i++) {
    terms[i] = logLR[i] + Math.log(mixture[i].weight);
    if (terms[i] > max) max = terms[i];
  }
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < terms.length; i++) sum += Math.exp(terms[i] - max);
  return max + Math.log(sum);
}

/** Scales weights to sum to 1. */
export function normalise(mixture: readonly RatioWeight[]): RatioWeight[] {
  const total = mixture.reduce((sum, m) => sum + m.weight, 0);
  return mixture.map((m) => ({ ratio: m.ratio, weight: m.weight / total }));
}

/**
 * The default "canary is worse" mixture: ratios (1 + minEffect)·2^k up to 64×, most of the
 * weight on the smallest effect. Large regressions bring evidence so fast that a small prior
 * weight costs them only an event or two, while the smallest effect worth acting on is the one
 * whose detection time is dominated by the weight it gets.
 */
export function defaultFailMixture(minEffect: number): RatioWeight[] {
  const first = 1 + minEffect;
  const ratios: number[] = [];
  for (let r = first; r <= 64 * (1 + 1e-9) || ratios.length < 2; r *= 2) ratios.push(r);
  const rest = ratios.length - 1;
  return normalise(ratios.map((ratio, i) => ({ ratio, weight: i === 0 ? FIRST_WEIGHT : (1 - FIRST_WEIGHT) / rest })));
}

/** Prior weight of the smallest effect in the default fail mixture. */
export const FIRST_WEIGHT = 0.7;
