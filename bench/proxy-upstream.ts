/**
 * Benchmark upstream: the cheapest possible node:http answer, in its own process
 * so it does not compete with the proxy inside one event loop. `/bytes?n=N`
 * streams N bytes and `/count` answers the request body's length, for the
 * streaming check. Reports its URL to the parent over IPC and exits when the
 * parent says so (or disappears).
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const version = process.argv[2] ?? 'stable';
const body = Buffer.from(`hello from ${version}\n`);
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };
const CHUNK = Buffer.alloc(256 * 1024, 0x61);

function streamBytes(res: ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/bytes?n=')) {
    req.resume();
    streamBytes(res, Number(url.slice(9)));
  } else if (url === '/count') {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
  } else {
    req.resume();
    res.writeHead(200, headers);
    res.end(body);
  }
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
});
process.on('message', (m: { stop?: boolean }) => {
  if (m.stop) process.exit(0);
});
process.on('disconnect', () => process.exit(0));
