/**
 * saveRollout throughput: one rollout saved over and over with 2 events per
 * save (the controller's typical write), on a real file with full sync, on
 * SQLite :memory: and on the in-memory store.
 *
 * Run (Node 20 cannot run TypeScript directly; this compiles the bench and
 * the store it imports into the git-ignored test-output/):
 *   npx tsc bench/store.ts --outDir test-output/bench --rootDir . --module nodenext \
 *     --moduleResolution nodenext --target es2022 --types node --skipLibCheck \
 *     && node test-output/bench/bench/store.js [seconds-per-case=2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventDraft, RolloutState } from '../src/engine/types.js';
import { MemoryStore } from '../src/store/memory.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { API_VERSION, type Rollout } from '../src/spec/types.js';

const seconds = Number(process.argv[2] ?? 2);

const rollout: Rollout = {
  apiVersion: API_VERSION,
  kind: 'Rollout',
  metadata: { name: 'bench' },
  spec: {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://10.0.0.1:80'] }, canary: { upstreams: ['http://10.0.0.2:80'] } },
    steps: [{ setWeight: 5 }, { analysis: { checks: 3 } }, { setWeight: 50 }, { pause: {} }],
    analysis: { interval: 30_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 100, metrics: [{ name: 'success-rate', min: 99 }] },
    onFailure: 'rollback',
    onInconclusive: 'pause',
  },
};

function state(i: number): RolloutState {
  const routes = { listen: '127.0.0.1:8080', stable: ['http://10.0.0.1:80'], canary: ['http://10.0.0.2:80'], canaryWeight: 5 };
  return {
    name: 'bench',
    revision: 1,
    spec: rollout.spec,
    phase: 'progressing',
    stepIndex: 1,
    stepStartedAt: i,
    canaryWeight: 5,
    routes,
    analysis: { failures: 0, inconclusiveInARow: 0, passesThisStep: i % 3, checks: i, windowStart: i, nextCheckAt: i + 30_000, pending: false },
    startedAt: 0,
    message: `check ${i} passed`,
  };
}

function events(i: number): EventDraft[] {
  return [
    { type: 'check', message: `check ${i} passed`, data: { canary: { requests: 1200, errors: 1 }, stable: { requests: 22_800, errors: 19 } } },
    { type: 'step-advanced', message: `step ${i}`, actor: 'controller' },
  ];
}

function run(label: string, store: Store): void {
  let version = 0;
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let i = 0;
  while (performance.now() < end) {
    const t = performance.now();
    version = store.saveRollout({ name: 'bench', rollout, state: state(i) }, events(i), version, Date.now()).record.version;
    latencies.push(performance.now() - t);
    i++;
  }
  const total = latencies.reduce((a, b) => a + b, 0);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(3);
  console.log(
    `${label.padEnd(24)} ${Math.round((i / total) * 1000).toString().padStart(7)} saves/s  ` +
      `p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  (${i} saves, 2 events each)`,
  );
  store.close();
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
try {
  run('sqlite file (WAL, FULL)', new SqliteStore(join(dir, 'bench.db')));
  run('sqlite :memory:', new SqliteStore(':memory:'));
  run('memory', new MemoryStore());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
