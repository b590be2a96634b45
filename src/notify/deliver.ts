import { postJson } from '../hooks/post-json.js';
import type { NotifyOutcome } from './notifier.js';

export interface DeliverOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Attempts after a failed one; 4xx answers are not retried (default 2). */
  retries?: number;
  /** Wait before retry n is n × this (default 1 s). */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** POSTs a notification body, retrying outages and 5xx (a 4xx will not get better). */
export async function deliver(url: string, body: string, opts: DeliverOptions): Promise<NotifyOutcome> {
  const retries = opts.retries ?? 2;
  const delay = opts.retryDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    const res = await postJson(url, { body, timeoutMs: opts.timeoutMs, ...(opts.headers ? { headers: opts.headers } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.ok) return { ok: true, status: res.status, message: `delivered (${res.status})`, attempts: attempt };
    const final = attempt > retries || res.cancelled || (res.status !== undefined && res.status < 500);
    if (final) return { ok: false, ...(res.status === undefined ? {} : { status: res.status }), message: res.message, attempts: attempt };
    await new Promise((r) => setTimeout(r, delay * attempt).unref());
  }
}
