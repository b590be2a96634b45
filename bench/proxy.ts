/**
 * bench:proxy — Sluice's embedded proxy against HAProxy and nginx on this machine.
 *
 * Starts a trivial stable and canary upstream (one Node process each), HAProxy
 * and nginx from Debian with the same 90/10 weighted split and keep-alive to
 * the upstreams, and Sluice's proxy in its own process. Drives each with the
 * same load generator (wrk, else autocannon) at each concurrency, alternating
 * targets, several rounds; prints req/s, p50/p99/p99.9 and RSS per target and
 * Sluice's ratios. Then, against Sluice: 100 weight changes/s under full load
 * (failed requests, setRoutes and rollback timings), RSS with 10,000 idle
 * keep-alive clients (and the same for the peers), and a 1 GiB upload and
 * download with the proxy's peak RSS. `--json` prints one JSON object last;
 * `--cpu-prof` profiles the Sluice process and says where its time goes.
 *
 *   npm run bench:proxy [-- --json --cpu-prof --workers=2 --duration=5 --rounds=3 --warmup=2
 *                          --connections=50,500 --idle=10000 --stream-mib=1024 --skip=idle,stream,churn,peers]
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceSnapshot } from '../src/proxy/counters.js';
import { openIdleCrowd } from './proxy-idle.js';
import { findGenerator, runLoad } from './proxy-load.js';
import type { Generator, LoadResult } from './proxy-load.js';
import { HAPROXY_MAXCONN, startHaproxy, startNginx, treeRss } from './proxy-peers.js';
import type { Peer } from './proxy-peers.js';
import { summariseProfile } from './proxy-profile.js';
import { measureStreaming } from './proxy-stream.js';

const argv = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${hit}`);
  return value;
}
function listOption(name: string, fallback: string): string[] {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return (hit ? hit.slice(name.length + 3) : fallback).split(',').filter(Boolean);
}
const json = argv.includes('--json');
const profile = argv.includes('--cpu-prof');
const durationS = option('duration', 5);
const rounds = option('rounds', 3);
const warmupS = option('warmup', 2);
/** Sluice worker counts to measure side by side: the first is "sluice" (ratios, churn, streaming), the others "sluice-wN". */
const workerCounts = listOption('workers', '1').map(Number);
if (workerCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--workers must list whole numbers ≥ 1, e.g. --workers=1,2`);
const workers = workerCounts[0];
const idleN = option('idle', 10_000);
const streamMiB = option('stream-mib', 1024);
const concurrencies = listOption('connections', '50,500').map(Number);
const skip = new Set(listOption('skip', ''));

const children: ChildProcess[] = [];
const peers: Peer[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill();
  for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

/** Forks a bench helper and waits for its `{ ready, url }` message. */
function start(script: string, args: string[], execArgv: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, { execArgv, stdio: 'inherit' });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.once('message', (m: { ready?: boolean; url?: string }) => {
      if (m.ready && m.url) resolve({ child, url: m.url });
    });
  });
}

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (!(key in m)) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Summary extends LoadResult {
  rssMiB: number;
}

function summarise(results: LoadResult[], rss: number[]): Summary {
  return {
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    p999: median(results.map((r) => r.p999)),
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    rssMiB: round1(Math.max(...rss) / 2 ** 20),
  };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const ratio = (a: number | undefined, b: number | undefined): number | null => (a && b ? round2(a / b) : null);

function line(label: string, r: LoadResult, extra = ''): string {
  const rps = Math.round(r.rps).toLocaleString('en-US').padStart(8);
  return `${label.padEnd(22)} ${rps} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   p99.9 ${r.p999.toFixed(2)} ms${extra}`;
}

interface Target {
  name: string;
  url: string;
  pid: number;
}

async function throughput(gen: Generator, targets: Target[]): Promise<Map<string, Summary>> {
  const results = new Map<string, { runs: LoadResult[]; rss: number[] }>();
  for (const t of targets) for (const c of concurrencies) await runLoad(gen, t.url, { connections: c, durationS: warmupS });
  for (let i = 0; i < rounds; i++) {
    for (const c of concurrencies) {
      // Rotate the order each round so no target always runs right after another.
      const order = targets.map((_, k) => targets[(k + i) % targets.length]);
      for (const t of order) {
        const r = await runLoad(gen, t.url, { connections: c, durationS });
        const rss = treeRss(t.pid);
        const key = `${t.name}@${c}`;
        const entry = results.get(key) ?? { runs: [], rss: [] };
        entry.runs.push(r);
        entry.rss.push(rss);
        results.set(key, entry);
        console.log(line(`round ${i + 1} ${key}`, r, `   rss ${round1(rss / 2 ** 20)} MiB   load ${loadavg()[0].toFixed(1)}`));
      }
    }
  }
  const out = new Map<string, Summary>();
  for (const [key, e] of results) out.set(key, summarise(e.runs, e.rss));
  return out;
}

async function idleRss(t: Target): Promise<number | null> {
  const before = treeRss(t.pid);
  // HAProxy needs two descriptors per connection and cannot hold 10,000 under a 20,000 descriptor limit.
  const n = t.name === 'haproxy' ? Math.min(idleN, HAPROXY_MAXCONN - 500) : idleN;
  const crowd = await openIdleCrowd(t.url, n);
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const open = crowd.open();
    const rss = treeRss(t.pid);
    console.log(`${t.name}: ${open.toLocaleString('en-US')} idle keep-alive clients open, rss ${round1(rss / 2 ** 20)} MiB (${round1(before / 2 ** 20)} MiB before)`);
    return open === n ? round1(rss / 2 ** 20) : null;
  } finally {
    crowd.close();
  }
}

async function main(): Promise<void> {
  const gen = findGenerator();
  const profDir = profile ? mkdtempSync(join(tmpdir(), 'sluice-proxy-prof-')) : '';
  const peerDir = mkdtempSync(join(tmpdir(), 'sluice-proxy-peers-'));
  console.log(`machine: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before the run`);
  const [stable, canary] = await Promise.all([start('./proxy-upstream.js', ['stable']), start('./proxy-upstream.js', ['canary'])]);
  const sluice = await start(
    './proxy-server.js',
    [stable.url, canary.url, '10', `--workers=${workers}`],
    profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  );
  const targets: Target[] = [{ name: 'sluice', url: sluice.url, pid: sluice.child.pid! }];
  for (const n of workerCounts.slice(1)) {
    const other = await start('./proxy-server.js', [stable.url, canary.url, '10', `--workers=${n}`]);
    targets.push({ name: `sluice-w${n}`, url: other.url, pid: other.child.pid! });
  }
  if (!skip.has('peers')) {
    for (const startPeer of [startHaproxy, startNginx]) {
      const p = await startPeer(peerDir, stable.url, canary.url);
      if (p) {
        peers.push(p);
        targets.push({ name: p.name, url: p.url, pid: p.child.pid! });
      }
    }
    if (peers.length < 2) console.log('haproxy or nginx is not installed (apt-get install -y haproxy nginx): ratios to it are null');
  }
  console.log(
    `load generator: ${gen.kind}; ${concurrencies.join(' and ')} connections; ${rounds} rounds × ${durationS} s per target after ${warmupS} s warm-ups; split 90/10; sluice workers ${workerCounts.join(', ')}`,
  );

  const s = await throughput(gen, targets);
  console.log('');
  for (const [key, r] of s) console.log(line(`median ${key}`, r, `   max rss ${r.rssMiB} MiB`));
  const get = (name: string, c: number): Summary | undefined => s.get(`${name}@${c}`);
  const [lo, hi] = [concurrencies[0], concurrencies.at(-1)!];
  const ratios = {
    rpsRatioVsHaproxy50: ratio(get('sluice', lo)?.rps, get('haproxy', lo)?.rps),
    rpsRatioVsHaproxy500: ratio(get('sluice', hi)?.rps, get('haproxy', hi)?.rps),
    p99RatioVsHaproxy50: ratio(get('sluice', lo)?.p99, get('haproxy', lo)?.p99),
    p99RatioVsHaproxy500: ratio(get('sluice', hi)?.p99, get('haproxy', hi)?.p99),
    rpsRatioVsNginx50: ratio(get('sluice', lo)?.rps, get('nginx', lo)?.rps),
    rpsRatioVsNginx500: ratio(get('sluice', hi)?.rps, get('nginx', hi)?.rps),
  };
  console.log(`sluice/haproxy req/s ${ratios.rpsRatioVsHaproxy50} @${lo}, ${ratios.rpsRatioVsHaproxy500} @${hi}; p99 ${ratios.p99RatioVsHaproxy50} @${lo}, ${ratios.p99RatioVsHaproxy500} @${hi}`);
  console.log(`sluice/nginx   req/s ${ratios.rpsRatioVsNginx50} @${lo}, ${ratios.rpsRatioVsNginx500} @${hi}`);
  const byWorkers: Record<string, Record<string, number | null>> = {};
  for (const n of workerCounts.slice(1)) {
    const name = `sluice-w${n}`;
    byWorkers[name] = {
      rpsRatioVsHaproxy50: ratio(get(name, lo)?.rps, get('haproxy', lo)?.rps),
      rpsRatioVsHaproxy500: ratio(get(name, hi)?.rps, get('haproxy', hi)?.rps),
      p99RatioVsHaproxy50: ratio(get(name, lo)?.p99, get('haproxy', lo)?.p99),
      rpsRatioVsSluice50: ratio(get(name, lo)?.rps, get('sluice', lo)?.rps),
      rpsRatioVsSluice500: ratio(get(name, hi)?.rps, get('sluice', hi)?.rps),
    };
    console.log(`${name}: ${JSON.stringify(byWorkers[name])}`);
  }

  const { snapshot } = await ask<{ snapshot: ServiceSnapshot }>(sluice.child, { rss: true }, 'snapshot');
  const total = snapshot.stable.requests + snapshot.canary.requests;
  const loadErrors = [...s].filter(([k]) => k.startsWith('sluice@')).reduce((n, [, r]) => n + r.errors + r.non2xx, 0);
  console.log(
    `sluice counters: ${total.toLocaleString('en-US')} requests, canary share ${((100 * snapshot.canary.requests) / total).toFixed(2)}%, ` +
      `errors ${snapshot.stable.errors + snapshot.canary.errors}; wrk saw ${loadErrors} failed against sluice`,
  );

  let churn: Record<string, number> | undefined;
  let failedDuringWeightChanges: number | null = null;
  if (!skip.has('churn')) {
    sluice.child.send({ churn: 100 });
    const r = await runLoad(gen, sluice.url, { connections: lo, durationS });
    churn = (await ask<{ churn: Record<string, number> }>(sluice.child, { churnStop: true }, 'churn')).churn;
    failedDuringWeightChanges = r.errors + r.non2xx + churn.failedSetRoutes;
    console.log(line(`\nunder 100 weight changes/s`, r));
    console.log(
      `  ${churn.changes} changes in ${durationS} s; failed requests ${failedDuringWeightChanges}; setRoutes median ${round1(churn.changeMedianUs)} µs (max ${round1(churn.changeMaxUs)}); ` +
        `rollback median ${round1(churn.rollbackMedianUs)} µs, p99 ${round1(churn.rollbackP99Us)} µs, max ${round1(churn.rollbackMaxUs)} µs ` +
        `(of which until setRoutes returned, the swap done: median ${round1(churn.rollbackSyncMedianUs)} µs, max ${round1(churn.rollbackSyncMaxUs)} µs)`,
    );
  }

  const idle: Record<string, number | null> = {};
  if (!skip.has('idle')) {
    console.log('');
    for (const t of targets) idle[t.name] = await idleRss(t);
  }

  let stream: Awaited<ReturnType<typeof measureStreaming>> | undefined;
  if (!skip.has('stream')) {
    stream = await measureStreaming(sluice.url, sluice.child.pid!, streamMiB * 2 ** 20);
    const mbps = (s: number): string => ((stream!.bytes / 2 ** 20) / s).toFixed(0);
    console.log(
      `\nstreaming ${streamMiB} MiB through sluice: upload ${stream.uploadS.toFixed(1)} s (${mbps(stream.uploadS)} MiB/s), download ${stream.downloadS.toFixed(1)} s (${mbps(stream.downloadS)} MiB/s); ` +
        `rss ${stream.baseRssMiB} MiB before, peak ${stream.peakRssMiB} MiB`,
    );
  }

  if (profile) {
    const exited = new Promise((r) => sluice.child.once('exit', r));
    sluice.child.send({ stop: true });
    await exited;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the proxy process wrote no .cpuprofile into ${profDir}`);
    const p = summariseProfile(join(profDir, file));
    console.log(`\nsluice CPU profile (${join(profDir, file)}), ${p.busyMs} ms busy:`);
    console.log('  by area: ' + p.areas.map((a) => `${a.area} ${a.pct}%`).join(', '));
    console.log('  top self time:');
    for (const t of p.top) console.log(`    ${String(t.pct).padStart(5)}%  ${t.fn}  ${t.where}`);
  }

  await Promise.all(peers.map((p) => p.stop()));
  rmSync(peerDir, { recursive: true, force: true });
  console.log(`machine: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} after the run`);
  if (json) {
    const pick = (r: Summary | undefined) => r && { rps: Math.round(r.rps), p50: r.p50, p99: r.p99, p999: r.p999, rssMiB: r.rssMiB, failed: r.errors + r.non2xx };
    console.log(
      JSON.stringify({
        ...ratios,
        rssMiB10kIdle: idle.sluice ?? null,
        failedDuringWeightChanges,
        rollbackMicros: churn ? round1(churn.rollbackMedianUs) : null,
        rollbackMaxMicros: churn ? round1(churn.rollbackMaxUs) : null,
        rollbackSyncMicros: churn ? round1(churn.rollbackSyncMedianUs) : null,
        setRoutesMedianMicros: churn ? round1(churn.changeMedianUs) : null,
        idleRssMiB: idle,
        stream: stream ?? null,
        workers,
        byWorkers,
        loadAverage: loadavg()[0],
        results: Object.fromEntries([...s].map(([k, r]) => [k, pick(r)])),
      }),
    );
  }
  for (const c of children) c.kill();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
