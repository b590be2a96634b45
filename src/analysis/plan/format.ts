import { formatDuration } from '../../spec/duration.js';

// Numbers as the plan prints them: rounded to what a reader can act on.

/** Seconds as a spec-style duration ("45s", "3m", "1h10m"), rounded to whole seconds. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  return formatDuration(Math.round(seconds) * 1000);
}

/**
 * Seconds rounded up to a duration worth writing into a spec: 5 s steps up to a
 * minute, 30 s up to ten minutes, whole minutes up to an hour, then 5 minutes.
 */
export function roundUpSeconds(seconds: number): number {
  const grain = seconds <= 60 ? 5 : seconds <= 600 ? 30 : seconds <= 3600 ? 60 : 300;
  return Math.max(grain, Math.ceil(seconds / grain - 1e-9) * grain);
}

/** A share as a percentage with sensible precision: "97.1%", "0.5%", "0.05%", "100%". */
export function percent(x: number): string {
  const p = x * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p >= 99.95 && p < 100) return '>99.9%';
  if (p < 0.05 && p > 0) return p < 0.001 ? '<0.001%' : `${Number(p.toPrecision(1))}%`;
  return `${Number(p.toFixed(p >= 10 ? 1 : p >= 1 ? 1 : 2))}%`;
}

/** An expected count: one decimal below 10, whole numbers above, thousands grouped. */
export function count(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  if (x < 10) return Number(x.toFixed(1)).toString();
  return Math.round(x).toLocaleString('en-US');
}
