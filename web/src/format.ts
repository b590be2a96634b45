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

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of a time in a zone (the browser's own when none is given), and the zone as "UTC" or "UTC+5:30". */
function wallClock(time: number | string, timeZone?: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'zone', string> {
  const key = timeZone ?? '';
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' });
    formats.set(key, format);
  }
  const f: Record<string, string> = {};
  for (const p of format.formatToParts(new Date(time))) f[p.type] = p.value;
  // "GMT", "GMT+0", "GMT+5:30", "GMT-4" (some engines write U+2212 for the minus).
  const offset = /^(?:GMT|UTC)([+\u2212-])?(\d+(?::\d\d)?)?$/.exec(f.timeZoneName ?? '');
  const zone = !offset ? f.timeZoneName ?? '' : !offset[2] || /^0+(?::00)?$/.test(offset[2]) ? 'UTC' : `UTC${offset[1] === '+' ? '+' : '−'}${offset[2]}`;
  return { year: f.year!, month: f.month!, day: f.day!, hour: f.hour!, minute: f.minute!, second: f.second!, zone };
}

/** Wall-clock time, HH:MM:SS, in the browser's zone (or `timeZone`); say the zone beside it with `zone()`. */
export function clock(time: number | string, timeZone?: string): string {
  const w = wallClock(time, timeZone);
  return `${w.hour}:${w.minute}:${w.second}`;
}

/** The zone clock() and dateTime() show a time in: "UTC", "UTC+1", "UTC−4", "UTC+5:30". */
export function zone(time: number | string, timeZone?: string): string {
  return wallClock(time, timeZone).zone;
}

/** Date and time with its zone, YYYY-MM-DD HH:MM:SS UTC+1, in the browser's zone (or `timeZone`). */
export function dateTime(time: number | string, timeZone?: string): string {
  const w = wallClock(time, timeZone);
  return `${w.year}-${w.month}-${w.day} ${w.hour}:${w.minute}:${w.second} ${w.zone}`;
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
