import type { Dispatcher } from 'undici';
import { postJson } from './post-json.js';
import { hookPayload, type HookOutcome, type HookRequest, type HookRunner } from './runner.js';

export const WEBHOOK_RUNNER_TYPE = 'webhook';

export interface WebhookRunnerOptions {
  /** Wait before retry n is n × this (default 1 s). */
  retryDelayMs?: number;
  dispatcher?: Dispatcher;
  now?: () => number;
}

/**
 * Flagger's webhook: POST the payload as JSON; a 2xx answer is success.
 * Each attempt is bounded by the hook's timeout; a non-2xx answer, a timeout
 * or a connection error is retried `retries` times before the run fails.
 */
export class WebhookRunner implements HookRunner {
  readonly type = WEBHOOK_RUNNER_TYPE;
  private readonly retryDelayMs: number;

  constructor(private readonly opts: WebhookRunnerOptions = {}) {
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
  }

  async run(req: HookRequest, signal: AbortSignal): Promise<HookOutcome> {
    const now = this.opts.now ?? Date.now;
    const started = now();
    const body = JSON.stringify(hookPayload(req));
    const headers = { 'x-sluice-hook': req.hook.name, 'x-sluice-hook-run': req.runId };
    const attempts = req.hook.retries + 1;
    for (let attempt = 1; ; attempt++) {
      const res = await postJson(req.hook.url, { body, headers, timeoutMs: req.hook.timeout, signal, dispatcher: this.opts.dispatcher, now });
      const durationMs = Math.max(0, now() - started);
      if (res.ok) return { ok: true, status: res.status, message: `answered ${res.status}`, attempts: attempt, durationMs };
      if (res.cancelled) return { ok: false, message: 'cancelled', attempts: attempt, durationMs, cancelled: true };
      if (attempt >= attempts || !(await pause(this.retryDelayMs * attempt, signal))) {
        return { ok: false, ...(res.status === undefined ? {} : { status: res.status }), message: res.message, attempts: attempt, durationMs, ...(signal.aborted ? { cancelled: true } : {}) };
      }
    }
  }
}

/** Waits `ms`; false when cancelled first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
