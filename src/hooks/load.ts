import { Pool } from 'undici';
import type { HookOutcome, HookRequest, HookRunner } from './runner.js';

export const LOAD_RUNNER_TYPE = 'load';

export interface LoadRunnerOptions {
  /** Connections to the target (default 16). */
  connections?: number;
  /** Runs fail when more than this share of requests got no response at all (default 0.1). */
  maxUnanswered?: number;
  now?: () => number;
}

/** What a load run did. */
export interface LoadCounts {
  sent: number;
  answered: number;
  /** Answers with a 5xx status: the service's errors, judged by the analysis, not by the hook. */
  serverErrors: number;
  /** Requests that got no response (connection refused, reset). */
  unanswered: number;
}

const TICK_MS = 20;

/**
 * Sluice's built-in load generator for services with too little traffic to
 * judge: a steady open-loop `rps` against `url` (normally the rollout's own
 * listen address, so the proxy splits it like real traffic) for `duration`.
 * It succeeds when the load was delivered; how the service answered is for
 * the analysis to judge.
 */
export class LoadRunner implements HookRunner {
  readonly type = LOAD_RUNNER_TYPE;

  constructor(private readonly opts: LoadRunnerOptions = {}) {}

  async run(req: HookRequest, signal: AbortSignal): Promise<HookOutcome> {
    const now = this.opts.now ?? Date.now;
    const { rps = 1, duration = 1000, url } = req.hook;
    const target = new URL(url);
    const path = `${target.pathname}${target.search}`;
    const pool = new Pool(target.origin, { connections: this.opts.connections ?? 16, pipelining: 1 });
    const counts: LoadCounts = { sent: 0, answered: 0, serverErrors: 0, unanswered: 0 };
    const inflight = new Set<Promise<void>>();
    const started = now();
    const fire = () => {
      counts.sent++;
      const p = pool
        .request({ path, method: 'GET', headers: { 'user-agent': 'sluice-load', 'x-sluice-hook': req.hook.name } })
        .then(async (res) => {
          await res.body.dump();
          counts.answered++;
          if (res.statusCode >= 500) counts.serverErrors++;
        })
        .catch(() => {
          counts.unanswered++;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    await new Promise<void>((resolve) => {
      let due = 0;
      const timer = setInterval(() => {
        const elapsed = now() - started;
        const target = Math.floor((Math.min(elapsed, duration) * rps) / 1000);
        // Catch up after a late timer, never past the requests owed so far.
        while (due < target) {
          due++;
          fire();
        }
        if (elapsed >= duration) stop();
      }, TICK_MS);
      const stop = () => {
        clearInterval(timer);
        signal.removeEventListener('abort', stop);
        resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
    });
    await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, req.hook.timeout).unref())]);
    await pool.destroy().catch(() => undefined);
    const durationMs = Math.max(0, now() - started);
    const seconds = durationMs / 1000;
    const summary = `sent ${counts.sent} requests in ${seconds.toFixed(1)}s (${(counts.sent / Math.max(seconds, 0.001)).toFixed(1)}/s) to ${target.origin}${target.pathname}: ${counts.answered} answered (${counts.serverErrors} with 5xx), ${counts.unanswered} without a response`;
    const details = { load: { ...counts } };
    if (signal.aborted) return { ok: false, message: `cancelled; ${summary}`, attempts: 1, durationMs, details, cancelled: true };
    const limit = this.opts.maxUnanswered ?? 0.1;
    const ok = counts.sent > 0 && counts.unanswered <= limit * counts.sent;
    return { ok, message: ok ? summary : `the load did not get through: ${summary}`, attempts: 1, durationMs, details };
  }
}
