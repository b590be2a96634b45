import { createRequire } from 'node:module';

/** OFREP single-flag throughput and latency under autocannon (a figure to track; no target yet). */

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

export interface OfrepResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  connections: number;
  durationSec: number;
  autocannon: string;
}

export async function measureOfrep(opts: { url: string; clientKey: string; connections: number; durationSec: number }): Promise<OfrepResult> {
  const require = createRequire(import.meta.url);
  const autocannon = require('autocannon') as Autocannon;
  // A few hundred users, so the split's hash runs for real on each request.
  const bodies = Array.from({ length: 256 }, (_, i) => JSON.stringify({ context: { targetingKey: `user-${i}`, country: i % 100 === 0 ? 'NZ' : 'US' } }));
  let next = 0;
  const result = await autocannon({
    url: `${opts.url}/ofrep/v1/evaluate/flags/new-checkout`,
    connections: opts.connections,
    duration: opts.durationSec,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': opts.clientKey },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    connections: opts.connections,
    durationSec: opts.durationSec,
    autocannon: (require('autocannon/package.json') as { version: string }).version,
  };
}
