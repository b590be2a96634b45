/**
 * Streaming through the proxy: one large upload (to the upstream's `/count`)
 * and one large download (from `/bytes`), while the proxy's RSS is sampled, to
 * show the body is streamed with backpressure rather than buffered.
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { treeRss } from './proxy-peers.js';

export interface StreamResult {
  bytes: number;
  uploadS: number;
  downloadS: number;
  /** Highest RSS of the proxy (and its workers) seen during either transfer, MiB. */
  peakRssMiB: number;
  /** RSS just before the transfers, MiB. */
  baseRssMiB: number;
}

const CHUNK = Buffer.alloc(256 * 1024, 0x62);

function zeros(total: number): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, CHUNK.length);
      left -= n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

function upload(url: string, total: number): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'POST', path: '/count', headers: { 'content-length': String(total) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(body)) : reject(new Error(`upload answered ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    zeros(total).pipe(req);
  });
}

function download(url: string, total: number): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: `/bytes?n=${total}` }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`download answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends and receives `bytes` through the proxy at `url` whose process is `pid`. */
export async function measureStreaming(url: string, pid: number, bytes: number): Promise<StreamResult> {
  const base = treeRss(pid);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss(pid))), 50);
  try {
    let t = performance.now();
    const up = await upload(url, bytes);
    const uploadS = (performance.now() - t) / 1000;
    if (up !== bytes) throw new Error(`upload: the upstream counted ${up} bytes, sent ${bytes}`);
    t = performance.now();
    const down = await download(url, bytes);
    const downloadS = (performance.now() - t) / 1000;
    if (down !== bytes) throw new Error(`download: received ${down} bytes, expected ${bytes}`);
    const mib = (b: number): number => Math.round((10 * b) / 2 ** 20) / 10;
    return { bytes, uploadS, downloadS, peakRssMiB: mib(peak), baseRssMiB: mib(base) };
  } finally {
    clearInterval(sampler);
  }
}
