import type { CountBatch } from '../sequential-types.js';

/** Counts summed over a threshold check's window, reset after each check. */
export class CheckWindow {
  requests = 0;
  errors = 0;

  add(tick: CountBatch): void {
    this.requests += tick.canaryRequests;
    this.errors += tick.canaryErrors;
  }

  /** The canary's success rate in percent; undefined with no requests (a query with no values). */
  takeSuccessRate(): number | undefined {
    const rate = this.requests === 0 ? undefined : (100 * (this.requests - this.errors)) / this.requests;
    this.requests = 0;
    this.errors = 0;
    return rate;
  }
}

/** Whether `t` falls on a multiple of `interval` (both seconds; ticks may be fractional). */
export function onBoundary(t: number, interval: number): boolean {
  const k = t / interval;
  return Math.abs(k - Math.round(k)) < 1e-9;
}
