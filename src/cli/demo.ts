import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoad } from '../demo/load.js';
import { startSampleService, type SampleService } from '../demo/sample-service.js';
import { createLogger } from '../log/logger.js';
import { startControlPlane } from '../server/control-plane.js';
import { ApiClient } from './client.js';
import { follow } from './follow.js';
import { outputMode } from './render.js';

const RPS = 300;

/**
 * `sluice demo`: a real server, real sample services and real load. A faulty
 * v2 is rolled back on its own; a healthy v3 is promoted. Exit 0 when both
 * ended that way.
 */
export async function runDemo(opts: { keep: boolean }): Promise<number> {
  const say = (s: string) => process.stdout.write(s + '\n');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  const services: SampleService[] = [];
  const logger = createLogger({ level: 'warn' });
  const plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger });
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    const v1 = await startSampleService({ version: 'v1', errorRate: 0.01, delayMs: 4, jitterMs: 3 });
    const v2 = await startSampleService({ version: 'v2', errorRate: 0.08, delayMs: 80, jitterMs: 30 });
    const v3 = await startSampleService({ version: 'v3', errorRate: 0.01, delayMs: 4, jitterMs: 3 });
    services.push(v1, v2, v3);
    const listen = `127.0.0.1:${await freePort()}`;
    say(`Sluice demo — control plane at ${plane.url}, state in ${dataDir}`);
    say(`  service "shop" at http://${listen}: v1 (stable, 1% errors) at ${v1.url}`);
    say(`  v2 (faulty: 8% errors, +80 ms) at ${v2.url}; v3 (healthy) at ${v3.url}`);
    // A fresh state directory: the control plane created an admin token for it.
    const client = new ApiClient(plane.url, { token: plane.adminToken?.text, tokenSource: plane.adminToken?.file });
    const mode = outputMode(undefined);

    say(`\n① Canary v2 on steps of 10% → 20% → 40% → 60% → 80%, judged continuously against v1, ${RPS} requests/s of load:`);
    const first = await client.applyYaml(rolloutYaml(listen, v1.url, v2.url), 'demo-v2.yaml');
    load = startLoad(`http://${listen}`, RPS);
    const a = await follow(client, 'shop', { mode, intervalMs: 500, afterSeq: 0 });
    const canaryServed = { ...v2.served };
    say(`→ ${a.phase}. The canary answered ${canaryServed.total} requests (${canaryServed.errors} failed, counted by v2 itself) before all traffic was back on v1.`);

    say(`\n② Canary v3 (healthy), same rollout:`);
    const seq = (await client.events('shop', 0, 100000)).events.at(-1)?.seq ?? 0;
    await client.applyYaml(rolloutYaml(listen, v1.url, v3.url), 'demo-v3.yaml');
    const b = await follow(client, 'shop', { mode, intervalMs: 500, afterSeq: seq });
    const [v1Before, v3Before] = [v1.served.total, v3.served.total];
    await new Promise((r) => setTimeout(r, 1500));
    const [v1Now, v3Now] = [v1.served.total - v1Before, v3.served.total - v3Before];
    say(b.phase === 'promoted' ? `→ promoted. v3 is the new stable: in the next 1.5 s v3 answered ${v3Now} requests and v1 ${v1Now}.` : `→ ${b.phase}: ${b.message}`);

    await load.stop();
    load = undefined;
    const ok = first.results[0]?.outcome === 'created' && a.phase === 'rolled-back' && b.phase === 'promoted';
    say(ok ? '\nDemo finished: the faulty canary was rolled back by analysis and the healthy one promoted.' : `\nDemo did not end as expected (v2: ${a.phase}, v3: ${b.phase}).`);
    say('Next: `sluice up`, then `sluice apply -f examples/canary-steps.yaml` (see README).');
    return ok ? 0 : 1;
  } finally {
    await load?.stop();
    await plane.close();
    await Promise.all(services.map((s) => s.close()));
    if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

function rolloutYaml(listen: string, stable: string, canary: string): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: shop
spec:
  service:
    listen: ${listen}
    stable: {upstreams: [${stable}]}
    canary: {upstreams: [${canary}]}
  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: {duration: 10s}
        - setWeight: 20
        - pause: {duration: 10s}
        - setWeight: 40
        - pause: {duration: 10s}
        - setWeight: 60
        - pause: {duration: 10s}
        - setWeight: 80
        - pause: {duration: 10s}
  analysis:
    # The sequential judge compares canary with stable on every tick: errors, and the
    # share of requests slower than stable's p75. It rolls back as soon as the evidence
    # is 100:1 against the canary, and lets a healthy one through as soon as a
    # doubling of the error rate is ruled out.
    judge:
      alpha: 0.01
      minStepEvents: 5
      maxWait: 2m
      latency: {quantile: 0.75, warmupRequests: 300}
    # A plain threshold check beside it, Flagger-style.
    interval: 5s
    minRequests: 40
    metrics:
      - name: success-rate
        min: 90
  onInconclusive: rollback
`;
}

/** A free loopback port (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
