import { Pool } from 'undici';

export interface LoadStats {
  sent: number;
  /** Completed responses by the x-sluice-version header (stable/canary) and status class. */
  byVersion: Record<string, { ok: number; errors: number }>;
  /** Requests that got no response at all. */
  failed: number;
}

export interface Load {
  stats: LoadStats;
  stop(): Promise<void>;
}

/** A steady open-loop load at `rps` requests per second against `url` (loopback only). */
export function startLoad(url: string, rps: number, connections = 16): Load {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const stats: LoadStats = { sent: 0, byVersion: {}, failed: 0 };
  const tickMs = 20;
  const perTick = (rps * tickMs) / 1000;
  let carry = 0;
  let inflight = 0;
  let stopped = false;
  const fire = () => {
    stats.sent++;
    inflight++;
    pool
      .request({ path: `/demo/${stats.sent}`, method: 'GET' })
      .then(async (res) => {
        await res.body.dump();
        const version = String(res.headers['x-sluice-version'] ?? 'unknown');
        const slot = (stats.byVersion[version] ??= { ok: 0, errors: 0 });
        if (res.statusCode >= 500) slot.errors++;
        else slot.ok++;
      })
      .catch(() => {
        if (!stopped) stats.failed++;
      })
      .finally(() => inflight--);
  };
  const timer = setInterval(() => {
    carry += perTick;
    while (carry >= 1) {
      carry--;
      fire();
    }
  }, tickMs);
  return {
    stats,
    async stop() {
      stopped = true;
      clearInterval(timer);
      const deadline = Date.now() + 5000;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await pool.close();
    },
  };
}
