/**
 * bench:proxy — what Sluice's embedded proxy costs over hitting the upstream directly.
 *
 * Starts a trivial stable and canary upstream (one process each), the proxy in
 * its own process with a 90/10 split, and drives the stable upstream directly
 * and the proxy alternately with the same load generator (wrk, else autocannon)
 * at the same concurrency. Prints req/s and p50/p99/p99.9 per side, the proxy's
 * RSS and the ratios; `--json` adds one JSON object as the last line; `--cpu-prof`
 * profiles the proxy process and says where its time goes.
 *
 *   npm run bench:proxy [-- --json] [-- --cpu-prof] [--duration=5 --rounds=3 --warmup=3 --connections=50]
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceSnapshot } from '../src/proxy/counters.js';
import { summariseProfile } from './proxy-profile.js';
import { findGenerator, runLoad } from './proxy-load.js';
import type { LoadResult } from './proxy-load.js';

const argv = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${hit}`);
  return value;
}
const json = argv.includes('--json');
const profile = argv.includes('--cpu-prof');
const durationS = option('duration', 5);
const rounds = option('rounds', 3);
const warmupS = option('warmup', 3);
const connections = option('connections', 50);

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill();
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

function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m: T) => resolve(m));
    child.send(message);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function summarise(results: LoadResult[]): LoadResult {
  return {
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    p999: median(results.map((r) => r.p999)),
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
function line(label: string, r: LoadResult, extra = ''): string {
  const rps = Math.round(r.rps).toLocaleString('en-US').padStart(8);
  return `${label.padEnd(16)} ${rps} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   p99.9 ${r.p999.toFixed(2)} ms${extra}`;
}

async function main(): Promise<void> {
  const gen = findGenerator();
  const profDir = profile ? mkdtempSync(join(tmpdir(), 'sluice-proxy-prof-')) : '';
  const [stable, canary] = await Promise.all([
    start('./proxy-upstream.js', ['stable']),
    start('./proxy-upstream.js', ['canary']),
  ]);
  const proxy = await start(
    './proxy-server.js',
    [stable.url, canary.url, '10'],
    profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  );
  const load = { connections, durationS };
  console.log(
    `load generator: ${gen.kind}, ${connections} connections, ${rounds} rounds × ${durationS} s per side after a ${warmupS} s warm-up; proxy split 90/10`,
  );

  await runLoad(gen, stable.url, { connections, durationS: warmupS });
  await runLoad(gen, proxy.url, { connections, durationS: warmupS });

  const direct: LoadResult[] = [];
  const proxied: LoadResult[] = [];
  let rss = 0;
  for (let i = 1; i <= rounds; i++) {
    direct.push(await runLoad(gen, stable.url, load));
    console.log(line(`round ${i} direct`, direct.at(-1)!));
    proxied.push(await runLoad(gen, proxy.url, load));
    const probe = await ask<{ rss: number }>(proxy.child, { rss: true });
    rss = Math.max(rss, probe.rss);
    console.log(line(`round ${i} proxy`, proxied.at(-1)!, `   rss ${(probe.rss / 2 ** 20).toFixed(1)} MiB`));
  }
  const d = summarise(direct);
  const p = summarise(proxied);
  const rssMiB = round2(rss / 2 ** 20);
  console.log(line('median direct', d));
  console.log(line('median proxy', p, `   max rss ${rssMiB} MiB`));
  const ratio = { rps: round2(p.rps / d.rps), p99: round2(p.p99 / d.p99) };
  console.log(`ratio proxy/direct: req/s ${ratio.rps}, p99 ${ratio.p99}`);

  const { snapshot } = await ask<{ snapshot: ServiceSnapshot }>(proxy.child, { rss: true });
  const total = snapshot.stable.requests + snapshot.canary.requests;
  console.log(
    `proxy counters: ${total.toLocaleString('en-US')} requests, canary share ${((100 * snapshot.canary.requests) / total).toFixed(2)}%, ` +
      `errors ${snapshot.stable.errors + snapshot.canary.errors}; load generator saw ${p.errors + d.errors} socket errors, ${p.non2xx + d.non2xx} non-2xx`,
  );

  if (profile) {
    const exited = new Promise((r) => proxy.child.once('exit', r));
    proxy.child.send({ stop: true });
    await exited;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the proxy process wrote no .cpuprofile into ${profDir}`);
    const s = summariseProfile(join(profDir, file));
    console.log(`\nproxy CPU profile (${join(profDir, file)}), ${s.busyMs} ms busy:`);
    console.log('  by area: ' + s.areas.map((a) => `${a.area} ${a.pct}%`).join(', '));
    console.log('  top self time:');
    for (const t of s.top) console.log(`    ${String(t.pct).padStart(5)}%  ${t.fn}  ${t.where}`);
  }

  if (json) {
    console.log(
      JSON.stringify({
        direct: { rps: Math.round(d.rps), p50: d.p50, p99: d.p99, p999: d.p999 },
        proxy: { rps: Math.round(p.rps), p50: p.p50, p99: p.p99, p999: p.p999, rssMiB },
        ratio,
      }),
    );
  }
  for (const c of children) c.kill();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
