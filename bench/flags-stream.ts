import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { request } from 'undici';
import { percentile } from './flags-loop.js';

/**
 * Streaming fan-out: N subscribers hold the SDK change stream
 * (/sdk/v1/flags/stream) open, each on its own socket, spread over worker
 * threads; a flag change is made through the API and each subscriber notes
 * when the message carrying the new revision has fully arrived. Latency =
 * arrival − the moment the change request was sent (absolute clock, shared by
 * the threads). Only the `id:` line is looked at on arrival, so the measure is
 * the server's fan-out, not the subscribers parsing JSON. One untimed change
 * warms both sides first.
 */

export interface StreamOptions {
  url: string;
  clientKey: string;
  operatorToken?: string;
  subscribers: number;
  changes: number;
  /** Threads the subscribers are spread over (default 2). */
  threads?: number;
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

type FromWorker = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'arrived'; revision: number; times: number[] };

const clock = () => performance.timeOrigin + performance.now();

class Share {
  readonly worker: Worker;
  readonly #listeners = new Set<(m: FromWorker) => void>();

  constructor(opts: StreamOptions, count: number) {
    const script = fileURLToPath(new URL('./flags-stream-worker.js', import.meta.url));
    this.worker = new Worker(script, { workerData: { url: opts.url, clientKey: opts.clientKey, count } });
    this.worker.on('message', (m: FromWorker) => {
      for (const l of [...this.#listeners]) l(m);
    });
  }

  next<T extends FromWorker['type']>(type: T | 'failed', timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(() => reject(new Error(`no "${type}" from a subscriber thread in ${timeoutMs} ms`))), timeoutMs);
      const listener = (m: FromWorker) => {
        if (m.type === 'failed') done(() => reject(new Error(`a subscriber failed: ${m.message}`)));
        else if (m.type === type) done(() => resolve(m as Extract<FromWorker, { type: T }>));
      };
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        fn();
      };
      this.#listeners.add(listener);
    });
  }
}

async function patch(opts: StreamOptions, percent: number): Promise<number> {
  const res = await request(`${opts.url}/api/v1/flags/bench/new-checkout`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'x-sluice-actor': 'bench', ...(opts.operatorToken ? { authorization: `Bearer ${opts.operatorToken}` } : {}) },
    body: JSON.stringify({ variant: 'on', percent }),
  });
  const body = (await res.body.json()) as { event?: { seq: number }; error?: { message: string } };
  if (res.statusCode !== 200 || !body.event) throw new Error(`the flag change failed: ${res.statusCode} ${body.error?.message ?? 'no change was made'}`);
  return body.event.seq;
}

export async function measureFanOut(opts: StreamOptions): Promise<StreamResult> {
  const threads = Math.max(1, Math.min(opts.threads ?? 2, opts.subscribers));
  const shares = Array.from({ length: threads }, (_, i) => new Share(opts, Math.floor(opts.subscribers / threads) + (i < opts.subscribers % threads ? 1 : 0)));
  const latencies: number[] = [];
  const requests: number[] = [];
  try {
    await Promise.all(shares.map((s) => s.next('ready', 60_000)));
    for (let c = -1; c < opts.changes; c++) {
      const sent = clock();
      const revision = await patch(opts, (c + 1) % 2 === 0 ? 11 : 10);
      const answered = clock() - sent;
      const arrived = await Promise.all(shares.map((s) => {
        const p = s.next('arrived', 30_000);
        s.worker.postMessage({ type: 'wait', revision });
        return p;
      }));
      if (c >= 0) {
        requests.push(answered);
        for (const a of arrived) for (const t of a.times) latencies.push(t - sent);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const s of shares) {
      s.worker.postMessage({ type: 'close' });
      await s.worker.terminate();
    }
  }
  return {
    subscribers: opts.subscribers,
    changes: opts.changes,
    deliveries: latencies.length,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
    changeRequestMs: round(percentile(requests, 50)),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
