import type { MetricCheckSpec } from '../spec/types.js';

// The sentences threshold checks give as their reasons.

type Shown = (v: number, bound?: number) => string;

/** "is within 1ms to 50ms", "meets the minimum 99%", "is within the maximum 500ms". */
export function withinPhrase(metric: MetricCheckSpec, shown: Shown): string {
  if (metric.min !== undefined && metric.max !== undefined) return `is within ${shown(metric.min)} to ${shown(metric.max)}`;
  if (metric.min !== undefined) return `meets the minimum ${shown(metric.min)}`;
  if (metric.max !== undefined) return `is within the maximum ${shown(metric.max)}`;
  return 'has no bound to meet';
}

/**
 * The canary's value against stable's: whether it meets the ratio bounds and
 * the sentence that says so ("is 3.1× stable's 0.8% (max 1.2×)"). Compared
 * as `canary ≤ maxRatio × stable`, so a stable value of 0 needs no division:
 * only a canary of 0 (or less) meets a maxRatio then.
 */
export function relativePhrase(metric: MetricCheckSpec, value: number, stable: number, shown: Shown): { ok: boolean; ratio?: number; text: string } {
  const { minRatio, maxRatio } = metric;
  const tooHigh = maxRatio !== undefined && value > maxRatio * stable;
  const tooLow = minRatio !== undefined && value < minRatio * stable;
  const bound = tooHigh ? maxRatio : tooLow ? minRatio : undefined;
  const limits = tooHigh ? `max ${ratioText(maxRatio!)}` : tooLow ? `min ${ratioText(minRatio!)}` : ratioBounds(minRatio, maxRatio);
  const stableShown = `stable's ${shown(stable)}`;
  if (stable === 0) {
    if (value === 0) return { ok: true, text: `is the same as ${stableShown} (${limits})` };
    const side = value > 0 ? 'above' : 'below';
    return { ok: !tooHigh && !tooLow, text: `is ${side} ${stableShown}, so no ratio to it exists (${limits})` };
  }
  const ratio = value / stable;
  return { ok: !tooHigh && !tooLow, ratio, text: `is ${formatRatio(ratio, bound)} ${stableShown} (${limits})` };
}

function ratioText(r: number): string {
  return `${r}×`;
}

function ratioBounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${ratioText(min)} to ${ratioText(max)}`;
  return min !== undefined ? `min ${ratioText(min)}` : `max ${ratioText(max!)}`;
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A value with one decimal from 10 up and three significant figures below,
 * and more when needed so that it never reads the same as the bound it was
 * compared with ("99.95%" rather than "100.0%" against a 99.96% minimum).
 */
export function formatValue(value: number, unit: string, bound?: number): string {
  return rounded(value, unit, 3, bound);
}

/** A ratio to two significant figures ("3.1×", "0.95×"), more when it would read the same as its bound. */
export function formatRatio(ratio: number, bound?: number): string {
  return rounded(ratio, '×', 2, bound);
}

function rounded(value: number, unit: string, significant: number, bound?: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return `${value}${unit}`;
  const start = Math.min(12, Math.max(1, significant - 1 - Math.floor(Math.log10(Math.abs(value)))));
  let digits = start;
  while (digits < start + 3 && bound !== undefined && Number(value.toFixed(digits)) === bound) digits++;
  return `${Number(value.toFixed(digits))}${unit}`;
}
