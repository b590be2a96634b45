/**
 * Benchmark proxy: Sluice's EmbeddedProxy alone in its own process, carrying one
 * service split 90/10 between the upstream URLs given as arguments. Answers RSS
 * queries over IPC and exits cleanly on request, so `--cpu-prof` gets written.
 */
import { EmbeddedProxy } from '../src/proxy/proxy.js';

const [stableUrl, canaryUrl, weight = '10'] = process.argv.slice(2);
if (!stableUrl || !canaryUrl) {
  console.error('usage: proxy-server.js STABLE_URL CANARY_URL [CANARY_WEIGHT]');
  process.exit(2);
}

const proxy = new EmbeddedProxy({ drainTimeoutMs: 1_000 });
await proxy.setRoutes('bench', {
  listen: '127.0.0.1:0',
  stable: [stableUrl],
  canary: [canaryUrl],
  canaryWeight: Number(weight),
});
process.send?.({ ready: true, url: proxy.address('bench') });

process.on('message', (m: { rss?: boolean; stop?: boolean }) => {
  if (m.rss) process.send?.({ rss: process.memoryUsage().rss, snapshot: proxy.snapshot('bench') });
  if (m.stop) void proxy.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
