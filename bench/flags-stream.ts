import { request as httpRequest, type ClientRequest } from 'node:http';
import { request } from 'undici';
import { percentile } from './flags-loop.js';

/**
 * Streaming fan-out: N subscribers hold the SDK change stream
 * (/sdk/v1/flags/stream) open, each on its own socket; a flag change is made
 * through the API and each subscriber notes when the message carrying the
 * new revision has fully arrived. Latency = arrival − the moment the change
 * request was sent. Only the `id:` line is read on arrival, so the measure is
 * the server's fan-out, not this process parsing JSON.
 */

export interface StreamOptions {
  url: string;
  clientKey: string;
  operatorToken?: string;
  subscribers: number;
  changes: number;
}

export interface StreamResult {
  subscribers: number;
  changes: number;
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median time for the change request itself to be answered (the commit is part of it). */
  changeRequestMs: number;
}

interface Subscriber {
  req: ClientRequest;
  /** Highest revision fully received, and when. */
  revision: number;
  arrivals: Map<number, number>;
}

const now = () => performance.now();

function subscribe(url: string, clientKey: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const sub = { revision: 0, arrivals: new Map<number, number>() } as Subscriber;
    let buffer = '';
    let ready = false;
    const req = httpRequest(`${url}/sdk/v1/flags/stream`, { agent: false, headers: { 'x-api-key': clientKey, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.includes('event: flags')) continue;
          const id = /^id: (\d+)$/m.exec(block);
          if (!id) continue;
          const revision = Number(id[1]);
          sub.arrivals.set(revision, now());
          sub.revision = Math.max(sub.revision, revision);
          if (!ready) {
            ready = true;
            resolve(sub);
          }
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => (ready ? undefined : reject(err)));
    req.end();
    sub.req = req;
  });
}

async function patch(opts: StreamOptions, percent: number): Promise<number> {
  const res = await request(`${opts.url}/api/v1/flags/bench/new-checkout`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'x-sluice-actor': 'bench', ...(opts.operatorToken ? { authorization: `Bearer ${opts.operatorToken}` } : {}) },
    body: JSON.stringify({ variant: 'on', percent }),
  });
  const body = (await res.body.json()) as { event?: { seq: number }; error?: { message: string } };
  if (res.statusCode !== 200 || !body.event) throw new Error(`the flag change failed: ${res.statusCode} ${body.error?.message ?? ''}`);
  return body.event.seq;
}

export async function measureFanOut(opts: StreamOptions): Promise<StreamResult> {
  const subs: Subscriber[] = [];
  // Connect in batches so the listen backlog is never the thing measured.
  for (let i = 0; i < opts.subscribers; i += 100) {
    subs.push(...(await Promise.all(Array.from({ length: Math.min(100, opts.subscribers - i) }, () => subscribe(opts.url, opts.clientKey)))));
  }
  const latencies: number[] = [];
  const requests: number[] = [];
  try {
    for (let c = 0; c < opts.changes; c++) {
      const sent = now();
      const revision = await patch(opts, c % 2 === 0 ? 11 : 10);
      requests.push(now() - sent);
      const deadline = Date.now() + 30_000;
      while (subs.some((s) => s.revision < revision)) {
        if (Date.now() > deadline) throw new Error(`change ${revision} reached ${subs.filter((s) => s.revision >= revision).length} of ${subs.length} subscribers in 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const s of subs) latencies.push(s.arrivals.get(revision)! - sent);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const s of subs) s.req.destroy();
  }
  return {
    subscribers: subs.length,
    changes: opts.changes,
    deliveries: latencies.length,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
    changeRequestMs: round(percentile(requests, 50)),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
