import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SampleServiceOptions {
  /** Version label returned in every response, e.g. "v2". */
  version: string;
  /** Share of requests answered 503, 0–1. */
  errorRate?: number;
  /** Mean added latency in ms, and uniform jitter around it. */
  delayMs?: number;
  jitterMs?: number;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Injectable randomness, 0 ≤ x < 1. */
  random?: () => number;
}

export interface SampleService {
  url: string;
  port: number;
  /** Responses this instance sent, counted by itself (independent of Sluice's counts). */
  served: { total: number; errors: number };
  close(): Promise<void>;
}

/** A small HTTP service with a configurable fault, used by `sluice demo` and the end-to-end tests. */
export async function startSampleService(opts: SampleServiceOptions): Promise<SampleService> {
  const random = opts.random ?? Math.random;
  const served = { total: 0, errors: 0 };
  const server: Server = createServer((req, res) => {
    const fail = random() < (opts.errorRate ?? 0);
    const delay = Math.max(0, (opts.delayMs ?? 0) + ((random() * 2 - 1) * (opts.jitterMs ?? 0)));
    const respond = () => {
      served.total++;
      if (fail) served.errors++;
      const body = JSON.stringify({ version: opts.version, path: req.url, ok: !fail });
      res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json', 'x-sample-version': opts.version });
      res.end(body);
    };
    req.resume();
    if (delay > 0) setTimeout(respond, delay);
    else respond();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
