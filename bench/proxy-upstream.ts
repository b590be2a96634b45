/**
 * Benchmark upstream: the cheapest possible node:http answer, in its own process
 * so it does not compete with the proxy inside one event loop. Reports its URL
 * to the parent over IPC and exits when the parent says so (or disappears).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const version = process.argv[2] ?? 'stable';
const body = Buffer.from(`hello from ${version}\n`);
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
});
process.on('message', (m: { stop?: boolean }) => {
  if (m.stop) process.exit(0);
});
process.on('disconnect', () => process.exit(0));
