import type { Routes } from '../routers/router.js';
import type { ListenAddress } from '../routers/validate.js';
import type { ServiceSnapshot } from './counters.js';
import type { ProxyErrorCode } from './errors.js';

/**
 * Messages between the proxy (cluster primary) and its worker processes, over
 * the cluster IPC channel (JSON). Every command carries an id; the worker
 * answers it with `done`, carrying its counters as of that moment, so a route
 * change resolves with counts that are exact up to the change.
 */
export type ToWorker =
  | { t: 'apply'; id: number; service: string; routes: Routes; bind: ListenAddress }
  | { t: 'remove'; id: number; service: string }
  | { t: 'close'; id: number };

/** A failure a worker reports, rebuilt as a ProxyError by the primary. */
export interface WorkerFailure {
  code: ProxyErrorCode | 'SLUICE_ROUTES_INVALID' | string;
  message: string;
  service?: string;
  /** The underlying error's code (EADDRINUSE, ENOENT, …). */
  causeCode?: string;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'done'; id: number; url?: string; error?: WorkerFailure; counters: Record<string, ServiceSnapshot> }
  /** Pushed every ~100 ms while counters change. */
  | { t: 'counters'; counters: Record<string, ServiceSnapshot> }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string };

/** Environment variable carrying the worker's proxy options (JSON). */
export const WORKER_OPTIONS_ENV = 'SLUICE_PROXY_WORKER_OPTIONS';

/** Log fields as plain JSON (errors become their message and code). */
export function loggable(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] = v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v;
  }
  return out;
}
