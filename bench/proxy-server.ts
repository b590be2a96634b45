/**
 * Benchmark proxy: Sluice's EmbeddedProxy alone in its own process, carrying one
 * service split 90/10 between the upstream URLs given as arguments. Over IPC it
 * answers RSS and counter queries, changes weights at a given rate while timing
 * every `setRoutes` (the ones back to 0 are rollbacks), and exits cleanly on
 * request so `--cpu-prof` gets written.
 *
 *   proxy-server.js STABLE_URL CANARY_URL [CANARY_WEIGHT] [--workers=N]
 */
import { performance } from 'node:perf_hooks';
import type { Routes } from '../src/routers/router.js';
import v8 from 'node:v8';
import { EmbeddedProxy } from '../src/proxy/proxy.js';

if (process.env.SLUICE_BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.SLUICE_BENCH_V8_FLAGS);

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const workersArg = process.argv.find((a) => a.startsWith('--workers='));
const workers = workersArg ? Number(workersArg.slice(10)) : 1;
const connsArg = process.argv.find((a) => a.startsWith('--upstream-connections='));
const upstreamConnections = connsArg ? Number(connsArg.slice('--upstream-connections='.length)) : undefined;
const [stableUrl, canaryUrl, weight = '10'] = args;
if (!stableUrl || !canaryUrl || !Number.isInteger(workers) || workers < 1) {
  console.error('usage: proxy-server.js STABLE_URL CANARY_URL [CANARY_WEIGHT] [--workers=N]');
  process.exit(2);
}

const proxy = new EmbeddedProxy({ drainTimeoutMs: 1_000, workers, clientKeepAliveMs: 120_000, maxConnections: 40_000, upstreamConnections });
const base: Routes = { listen: '127.0.0.1:0', stable: [stableUrl], canary: [canaryUrl], canaryWeight: Number(weight) };
await proxy.setRoutes('bench', base);
process.send?.({ ready: true, url: proxy.address('bench') });

/** Weight changes at a fixed rate, each timed; every second one returns to 0 (a rollback). */
interface Churn {
  stop: boolean;
  changes: number;
  failed: number;
  changeUs: number[];
  rollbackUs: number[];
  /** Until setRoutes returned: in this process the swap is done by then (the next request obeys it). */
  rollbackSyncUs: number[];
  done: Promise<void>;
}
let churn: Churn | undefined;

function startChurn(perSecond: number): Churn {
  const c: Churn = { stop: false, changes: 0, failed: 0, changeUs: [], rollbackUs: [], rollbackSyncUs: [], done: Promise.resolve() };
  const started = performance.now();
  c.done = (async () => {
    while (!c.stop) {
      const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
      while (c.changes < due && !c.stop) {
        const w = c.changes % 2 === 0 ? 5 + (c.changes % 40) : 0;
        const t = performance.now();
        let syncUs = 0;
        try {
          const applied = proxy.setRoutes('bench', { ...base, canaryWeight: w });
          syncUs = (performance.now() - t) * 1000;
          await applied;
        } catch {
          c.failed++;
        }
        const us = (performance.now() - t) * 1000;
        if (w === 0) c.rollbackSyncUs.push(syncUs);
        (w === 0 ? c.rollbackUs : c.changeUs).push(us);
        c.changes++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await proxy.setRoutes('bench', base);
  })();
  return c;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

process.on('message', (m: { rss?: boolean; stop?: boolean; churn?: number; churnStop?: boolean }) => {
  if (m.rss) process.send?.({ rss: process.memoryUsage().rss, memory: process.memoryUsage(), snapshot: proxy.snapshot('bench') });
  if (m.churn) churn = startChurn(m.churn);
  if (m.churnStop && churn) {
    const c = churn;
    c.stop = true;
    void c.done.then(() =>
      process.send?.({
        churn: {
          changes: c.changes,
          failedSetRoutes: c.failed,
          changeMedianUs: quantile(c.changeUs, 0.5),
          changeMaxUs: Math.max(...c.changeUs),
          rollbackMedianUs: quantile(c.rollbackUs, 0.5),
          rollbackP99Us: quantile(c.rollbackUs, 0.99),
          rollbackMaxUs: Math.max(...c.rollbackUs),
          rollbackSyncMedianUs: quantile(c.rollbackSyncUs, 0.5),
          rollbackSyncMaxUs: Math.max(...c.rollbackSyncUs),
        },
      }),
    );
  }
  if (m.stop) void proxy.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
