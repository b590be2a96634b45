import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { percentile } from './flags-loop.js';

/**
 * Streaming fan-out: N subscribers hold the SDK change stream
 * (/sdk/v1/flags/stream) open, each on its own socket; a flag change is made
 * through the API and each subscriber notes when the message carrying the
 * new revision has fully arrived. Latency = arrival − the moment the change
 * request was sent. Only the `id:` line is read on arrival, so the measure is
 * the server's fan-out, not this process parsing JSON. One untimed change
 * warms both sides first.
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
  socket: Socket;
  /** Highest revision fully received, and when. */
  revision: number;
  arrivals: Map<number, number>;
}

const now = () => performance.now();

/** A subscriber on a raw socket: the request is written by hand and arrivals are found in the raw bytes. */
function subscribe(url: string, clientKey: string): Promise<Subscriber> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    const sub: Subscriber = { socket, revision: 0, arrivals: new Map() };
    let buffer = '';
    let ready = false;
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(`GET /sdk/v1/flags/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\nX-API-Key: ${clientKey}\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      const at = now();
      buffer += chunk;
      if (!ready && !buffer.startsWith('HTTP/1.1 200')) {
        if (buffer.includes('\r\n')) reject(new Error(`stream answered ${buffer.slice(0, buffer.indexOf('\r\n'))}`));
        return;
      }
      // Chunked framing and SSE fields: only complete "id: N" lines of `event: flags` messages count.
      let m: RegExpExecArray | null;
      ID.lastIndex = 0;
      let consumed = 0;
      while ((m = ID.exec(buffer)) !== null) {
        const revision = Number(m[1]);
        if (!sub.arrivals.has(revision)) sub.arrivals.set(revision, at);
        sub.revision = Math.max(sub.revision, revision);
        consumed = ID.lastIndex;
        if (!ready) {
          ready = true;
          resolve(sub);
        }
      }
      if (consumed) buffer = buffer.slice(consumed);
    });
    socket.on('error', (err) => (ready ? undefined : reject(err)));
  });
}

/** An `id:` line followed by `event: flags` and a data line that has fully arrived (its blank line too). */
const ID = /id: (\d+)\nevent: flags\ndata: [^\n]*\n\n/g;

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
    // One change first, untimed: it warms the server's and this process's code paths.
    for (let c = -1; c < opts.changes; c++) {
      const sent = now();
      const revision = await patch(opts, (c + 1) % 2 === 0 ? 11 : 10);
      const answered = now() - sent;
      const deadline = Date.now() + 30_000;
      while (subs.some((s) => s.revision < revision)) {
        if (Date.now() > deadline) throw new Error(`change ${revision} reached ${subs.filter((s) => s.revision >= revision).length} of ${subs.length} subscribers in 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      if (c >= 0) {
        requests.push(answered);
        for (const s of subs) latencies.push(s.arrivals.get(revision)! - sent);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const s of subs) s.socket.destroy();
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
