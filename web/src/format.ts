import type { Phase, Step } from './types.js';

/** A number for people: a few significant digits, "–" when there is none. */
export function num(v: number | undefined | null, digits = 1): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs !== 0 && abs < 0.01) return v.toExponential(1);
  return v.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : digits });
}

export function pct(v: number | undefined | null, digits = 2): string {
  return v === undefined || v === null ? '–' : `${num(v, digits)}%`;
}

export function ms(v: number | undefined | null): string {
  return v === undefined || v === null ? '–' : `${num(v, 1)} ms`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time, HH:MM:SS. */
export function clock(time: number | string): string {
  const d = new Date(time);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local date and time, YYYY-MM-DD HH:MM:SS. */
export function dateTime(time: number | string): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(d.getTime())}`;
}

/** 1h 2m, 3m 4s, 5s, 250ms. */
export function duration(msValue: number): string {
  if (msValue < 1000) return `${Math.round(msValue)}ms`;
  const s = Math.round(msValue / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const hours = Math.floor(m / 60);
  return m % 60 ? `${hours}h ${m % 60}m` : `${hours}h`;
}

/** What a step does, in words: "set canary weight to 20%" (a flag rollout's: "serve on to 20% of users"), "pause 30s", "wait for 2 passing checks". */
export function describeStep(step: Step, flag?: { variant: string }): string {
  if ('setWeight' in step && typeof step.setWeight === 'number') return flag ? `serve ${flag.variant} to ${step.setWeight}% of users` : `set canary weight to ${step.setWeight}%`;
  if ('pause' in step && step.pause && typeof step.pause === 'object') {
    const d = (step.pause as { duration?: number }).duration;
    return d === undefined ? 'pause until promoted (manual gate)' : `pause ${duration(d)}`;
  }
  if ('analysis' in step && step.analysis && typeof step.analysis === 'object') {
    const n = (step.analysis as { checks?: number }).checks ?? 1;
    return `wait for ${n} passing check${n === 1 ? '' : 's'}`;
  }
  return JSON.stringify(step);
}

export const TERMINAL: readonly Phase[] = ['promoted', 'rolled-back', 'aborted'];

/** A phase in words, with why a paused rollout waits. */
export function phaseLabel(phase: Phase, pauseReason?: string): string {
  if (phase === 'paused' && pauseReason) return `paused (${pauseReason === 'gate' ? 'manual gate' : pauseReason === 'user' ? 'by a user' : pauseReason})`;
  return phase;
}
