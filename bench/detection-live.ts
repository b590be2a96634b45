import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../src/cli/demo.js';
import { startLoad } from '../src/demo/load.js';
import { startSampleService } from '../src/demo/sample-service.js';

/**
 * One live detection run: a real `sluice up` process, two real upstreams
 * (canary failing `canaryErrorRate` of requests, stable `stableErrorRate`), a
 * steady real load through the proxy, and a judged canary rollout with Argo's
 * steps. Reports how long until all traffic was back on stable and how many
 * failed canary responses the canary itself served, next to what Sluice recorded.
 */

export interface LiveOptions {
  /** Command that runs the CLI: [node, script]. Default: the compiled CLI next to this file. */
  cli?: string[];
  rps?: number;
  stableErrorRate?: number;
  canaryErrorRate?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
}

export interface LiveResult {
  phase: string;
  /** From applying the rollout to the rollback event. */
  rollbackSeconds: number;
  /** Failed responses the canary upstream served, counted by itself. */
  canaryFailedServed: number;
  /** Requests the canary upstream served in all. */
  canaryServed: number;
  /** Canary errors the judge had counted when it decided. */
  sluiceCanaryErrors: number;
  /** Canary requests the judge had counted when it decided. */
  sluiceCanaryRequests: number;
  /** The judge's statistic (log Bayes factor) and threshold. */
  statistic?: number;
  threshold?: number;
  message: string;
}

export async function liveDetectionRun(opts: LiveOptions = {}): Promise<LiveResult> {
  const rps = opts.rps ?? 200;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-live-'));
  const stable = await startSampleService({ version: 'stable', errorRate: opts.stableErrorRate ?? 0.005, delayMs: 2, jitterMs: 1 });
  const canary = await startSampleService({ version: 'canary', errorRate: opts.canaryErrorRate ?? 0.05, delayMs: 2, jitterMs: 1 });
  const cli = opts.cli ?? [process.execPath, fileURLToPath(new URL('../src/cli/main.js', import.meta.url))];
  const server = await startServer(cli, dataDir);
  // `sluice up` wrote an admin token on this fresh data directory; the API wants it.
  const auth = { authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}` };
  const listen = `127.0.0.1:${await freePort()}`;
  const load = startLoad(`http://${listen}`, rps, 32);
  try {
    const started = Date.now();
    const applied = await request(`${server.url}/api/v1/rollouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml', ...auth },
      body: rolloutYaml(listen, stable.url, canary.url),
    });
    if (applied.statusCode >= 300) throw new Error(`apply failed: ${applied.statusCode} ${await applied.body.text()}`);
    await applied.body.dump();
    const deadline = started + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const res = await request(`${server.url}/api/v1/rollouts/live`, { headers: auth });
      const view = (await res.body.json()) as { phase: string; message: string };
      if (['rolled-back', 'promoted', 'aborted'].includes(view.phase) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Requests already in flight at the rollback still finish on the canary: count them too.
    await new Promise((r) => setTimeout(r, 1000));
    const events = (await (await request(`${server.url}/api/v1/rollouts/live/events`, { headers: auth })).body.json()) as {
      events: Array<{ type: string; time: number; message: string; data?: { judge?: { errors?: { counts: { canaryErrors: number; canaryRequests: number }; statistic: number; threshold: number } } } }>;
    };
    const end = events.events.find((e) => ['rolled-back', 'promoted', 'aborted'].includes(e.type));
    const startedEvent = events.events.find((e) => e.type === 'started');
    const judge = end?.data?.judge?.errors;
    return {
      phase: end?.type ?? 'undecided',
      rollbackSeconds: end && startedEvent ? (end.time - startedEvent.time) / 1000 : NaN,
      canaryFailedServed: canary.served.errors,
      canaryServed: canary.served.total,
      sluiceCanaryErrors: judge?.counts.canaryErrors ?? NaN,
      sluiceCanaryRequests: judge?.counts.canaryRequests ?? NaN,
      statistic: judge?.statistic,
      threshold: judge?.threshold,
      message: end?.message ?? 'no decision before the timeout',
    };
  } finally {
    await load.stop();
    await server.stop();
    await stable.close();
    await canary.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function rolloutYaml(listen: string, stable: string, canary: string): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: live}
spec:
  service:
    listen: ${listen}
    stable: {upstreams: [${stable}]}
    canary: {upstreams: [${canary}]}
  strategy:
    canary:
      steps:
        - {setWeight: 10}
        - {pause: {duration: 1m}}
        - {setWeight: 20}
        - {pause: {duration: 1m}}
        - {setWeight: 40}
        - {pause: {duration: 1m}}
        - {setWeight: 60}
        - {pause: {duration: 1m}}
        - {setWeight: 80}
        - {pause: {duration: 1m}}
  analysis:
    judge: {alpha: 0.01}
`;
}

async function startServer(cli: string[], dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const [cmd, ...args] = cli as [string, ...string[]];
  const child: ChildProcess = spawn(cmd, [...args, 'up', '--api', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice up did not start:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = /API on (http:\/\/[^\s,]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sluice up exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
