/**
 * The load generator for the proxy benchmark, always in its own process:
 * wrk when installed, else autocannon when it is in node_modules.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface LoadResult {
  rps: number;
  /** Latencies in milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  requests: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Responses other than 2xx/3xx. */
  non2xx: number;
}

export interface LoadOptions {
  connections: number;
  durationS: number;
}

export type Generator = { kind: 'wrk'; path: string } | { kind: 'autocannon'; path: string };

const WRK_SCRIPT = fileURLToPath(new URL('../../bench/proxy-wrk.lua', import.meta.url));

/** Finds a load generator, or explains how to install one. */
export function findGenerator(): Generator {
  for (const p of ['/usr/bin/wrk', '/usr/local/bin/wrk']) if (existsSync(p)) return { kind: 'wrk', path: p };
  try {
    const path = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
    return { kind: 'autocannon', path };
  } catch {
    throw new Error(
      'bench:proxy needs a load generator: install wrk (apt-get install -y wrk) or autocannon (npm i -E -D autocannon@9.0.0)',
    );
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${err.trim() || out.trim()}`)),
    );
  });
}

async function runWrk(path: string, url: string, o: LoadOptions): Promise<LoadResult> {
  const out = await run(path, ['-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--timeout', '10s', '-s', WRK_SCRIPT, url]);
  const line = out.split('\n').find((l) => l.startsWith('SLUICE_WRK '));
  if (!line) throw new Error(`wrk printed no result line:\n${out}`);
  const r = JSON.parse(line.slice('SLUICE_WRK '.length)) as {
    requests: number;
    durationUs: number;
    errors: number;
    non2xx: number;
    p50: number;
    p99: number;
    p999: number;
  };
  return {
    rps: r.requests / (r.durationUs / 1e6),
    p50: r.p50,
    p99: r.p99,
    p999: r.p999,
    requests: r.requests,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function runAutocannon(path: string, url: string, o: LoadOptions): Promise<LoadResult> {
  const out = await run(process.execPath, [path, '-j', '-c', String(o.connections), '-d', String(o.durationS), url]);
  const r = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; p99_9: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Drives `url` with `connections` keep-alive connections for `durationS` seconds. */
export function runLoad(gen: Generator, url: string, o: LoadOptions): Promise<LoadResult> {
  return gen.kind === 'wrk' ? runWrk(gen.path, url, o) : runAutocannon(gen.path, url, o);
}
