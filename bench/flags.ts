import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { closeOpenFeature, openFeatureSubjects } from './flags-openfeature.js';
import { median, runRound, subject, type Subject } from './flags-loop.js';
import { measureOfrep, type OfrepResult } from './flags-ofrep.js';
import { PEERS, versionOf, type Peer } from './flags-peers.js';
import { measureFanOut, type StreamResult } from './flags-stream.js';
import { benchContexts, benchFlagSet, EXPECTED_ON, floorSubject, sluiceSubject } from './flags-subjects.js';

/**
 * bench:flags — one flag (new-checkout: country NZ → on, else 10 % on by user
 * key) evaluated 1,000,000 times over 10,000 contexts by Sluice and by peer
 * SDKs in the same process run, rounds interleaved, median of rounds; then
 * through the OpenFeature client; then a change fanned out to 1,000 streaming
 * subscribers; then OFREP under autocannon. `--json` prints one JSON object
 * last. Options: --evals N, --rounds N, --of-evals N, --subscribers N,
 * --changes N, --threads N (subscriber threads), --duration S, --skip-server.
 */

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number, got "${args[i + 1]}"`);
  return v;
};
const opts = {
  json: flag('json'),
  evals: num('evals', 1_000_000),
  rounds: num('rounds', 5),
  ofEvals: num('of-evals', 100_000),
  subscribers: num('subscribers', 1000),
  changes: num('changes', 10),
  threads: num('threads', 2),
  duration: num('duration', 5),
  skipServer: flag('skip-server'),
};
const log = (s: string) => process.stderr.write(s + '\n');

const SLUICE_VERSION = sluiceVersion();

interface Measured {
  name: string;
  version: string;
  nsPerEval: number;
  onFraction: number;
  rounds: number[];
}

/** Rounds interleaved across subjects (machine noise hits all alike); the median round counts. */
async function measure(subjects: Subject[], evals: number, rounds: number): Promise<Measured[]> {
  for (const s of subjects) await runRound(s, Math.min(evals, 200_000));
  const results = subjects.map((s) => ({ name: s.peer.name, version: s.peer.version, nsPerEval: 0, onFraction: 0, rounds: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < subjects.length; k++) {
      // Rotate the order each round so no subject always runs right after another.
      const i = (k + r) % subjects.length;
      const res = await runRound(subjects[i], evals);
      results[i].rounds.push(res.nsPerEval);
      results[i].onFraction = res.onFraction;
    }
    log(`  round ${r + 1}/${rounds}: ${results.map((m) => `${m.name} ${m.rounds[r].toFixed(0)} ns`).join(', ')}`);
  }
  for (const m of results) m.nsPerEval = Math.round(median(m.rounds) * 10) / 10;
  return results;
}

const contexts = benchContexts();
const flagSet = benchFlagSet();

log(`bench:flags — ${opts.evals.toLocaleString('en')} evaluations × ${opts.rounds} rounds over ${contexts.length.toLocaleString('en')} contexts; expected on ≈ ${(EXPECTED_ON * 100).toFixed(1)} %`);
const peers: Peer[] = [];
const skipped: Record<string, string> = {};
for (const p of PEERS) {
  try {
    peers.push(await p.start());
  } catch (err) {
    skipped[p.name] = (err as Error).message;
    log(`  note: ${p.name} skipped (${(err as Error).message})`);
  }
}
const inProcess = [sluiceSubject(SLUICE_VERSION), floorSubject(), ...peers].map((p, i) => subject(p, contexts, `subject ${i} ${p.name}`));
const measured = await measure(inProcess, opts.evals, opts.rounds);
for (const p of peers) await p.close();

// The ratio of two ~15 µs figures moves a few percent with machine noise alone: more (shorter) rounds, paired.
const ofRounds = Math.max(opts.rounds, 9);
log(`OpenFeature client: ${opts.ofEvals.toLocaleString('en')} evaluations × ${ofRounds} rounds`);
const of = await openFeatureSubjects(flagSet);
if (of.note) log(`  note: ${of.note}`);
const ofSubjects = [of.noop, ...(of.sluice ? [of.sluice] : [])].map((p, i) => subject(p, contexts, `openfeature ${i}`));
const ofMeasured = await measure(ofSubjects, opts.ofEvals, ofRounds);
await closeOpenFeature();

let stream: StreamResult | undefined;
let ofrep: OfrepResult | undefined;
if (!opts.skipServer) {
  const server = await startServer();
  try {
    log(`streaming: ${opts.subscribers} subscribers on ${opts.threads} threads, ${opts.changes} changes through the API`);
    stream = await measureFanOut({ ...server.info, subscribers: opts.subscribers, changes: opts.changes, threads: opts.threads });
    log(`OFREP: autocannon, 50 connections, ${opts.duration} s`);
    ofrep = await measureOfrep({ url: server.info.url, clientKey: server.info.clientKey, connections: 50, durationSec: opts.duration });
  } finally {
    await server.stop();
  }
}

const sluice = measured[0];
const floor = measured[1];
const peerResults = measured.slice(2);
const fastest = peerResults.reduce<Measured | undefined>((best, m) => (!best || m.nsPerEval < best.nsPerEval ? m : best), undefined);
const ofNoop = ofMeasured[0];
const ofSluice = ofMeasured[1];
const offTarget = measured.filter((m) => Math.abs(m.onFraction - EXPECTED_ON) > 0.01);

const report = {
  flag: 'new-checkout: country equals NZ → on, else 10 % on by user key',
  evaluations: opts.evals,
  rounds: opts.rounds,
  contexts: contexts.length,
  node: process.version,
  sluiceVersion: SLUICE_VERSION,
  sluiceNsPerEval: sluice.nsPerEval,
  sluiceOnFraction: round4(sluice.onFraction),
  floorNsPerEval: floor.nsPerEval,
  peers: Object.fromEntries(peerResults.map((m) => [m.name, { version: m.version, nsPerEval: m.nsPerEval, onFraction: round4(m.onFraction) }])),
  skippedPeers: skipped,
  fastestPeer: fastest?.name ?? null,
  speedupVsFastestPeer: fastest ? round2(fastest.nsPerEval / sluice.nsPerEval) : null,
  speedupTarget: 4,
  openfeatureSdkVersion: versionOf('@openfeature/server-sdk'),
  openfeatureRounds: ofRounds,
  openfeatureNsPerEval: ofSluice?.nsPerEval ?? null,
  openfeatureNoopNsPerEval: ofNoop.nsPerEval,
  // Paired by round (the two ran back to back, under the same machine noise): the median of the per-round ratios.
  openfeatureOverheadRatio: ofSluice ? round2(median(ofSluice.rounds.map((ns, r) => ns / ofNoop.rounds[r]))) : null,
  openfeatureOverheadTarget: 1.1,
  ...(of.note ? { openfeatureNote: of.note } : {}),
  streamSubscribers: stream?.subscribers ?? null,
  streamP50Ms: stream?.p50Ms ?? null,
  streamP99Ms: stream?.p99Ms ?? null,
  streamP99TargetMs: 100,
  streamChangeRequestMs: stream?.changeRequestMs ?? null,
  ofrepRps: ofrep?.rps ?? null,
  ofrepP50Ms: ofrep?.p50Ms ?? null,
  ofrepP99Ms: ofrep?.p99Ms ?? null,
  ofrepConnections: ofrep?.connections ?? null,
  ofrepNon2xx: ofrep?.non2xx ?? null,
  autocannonVersion: ofrep?.autocannon ?? null,
  onFractionsOk: offTarget.length === 0,
};

const rows = [...measured, ...ofMeasured].map((m) => [m.name, m.version, `${m.nsPerEval.toFixed(1)} ns`, `${(m.onFraction * 100).toFixed(2)} %`]);
log('');
log(table(['EVALUATOR', 'VERSION', 'PER EVAL (median)', 'ON'], rows));
log('');
log(`Sluice vs fastest peer (${fastest?.name ?? 'none'}): ${report.speedupVsFastestPeer ?? 'n/a'}× faster (target ≥ 4×)`);
log(`OpenFeature overhead ratio (Sluice provider ÷ no-op provider): ${report.openfeatureOverheadRatio ?? 'n/a (provider not in this tree yet)'} (target ≤ 1.1)`);
if (stream) log(`change → ${stream.subscribers} streaming subscribers: p50 ${stream.p50Ms} ms, p99 ${stream.p99Ms} ms, max ${stream.maxMs} ms over ${stream.deliveries} deliveries (target p99 ≤ 100 ms; the change request itself took ${stream.changeRequestMs} ms, median)`);
if (ofrep) log(`OFREP single flag: ${ofrep.rps} req/s, p50 ${ofrep.p50Ms} ms, p99 ${ofrep.p99Ms} ms (${ofrep.connections} connections, ${ofrep.durationSec} s, ${ofrep.non2xx} non-2xx)`);
for (const m of offTarget) log(`WARNING: ${m.name} returned ${(m.onFraction * 100).toFixed(2)} % on, expected about ${(EXPECTED_ON * 100).toFixed(1)} %: it does not evaluate the same flag`);
if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
if (offTarget.length) process.exitCode = 1;

async function startServer(): Promise<{ info: { url: string; clientKey: string; operatorToken?: string }; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./flags-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
  });
  const info = JSON.parse(line) as { url: string; clientKey: string; operatorToken?: string };
  return {
    info,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin!.end();
    }),
  };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** This checkout's version, from the nearest package.json above the bench (it runs from dist-bench/). */
function sluiceVersion(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}
