import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * One share of the streaming subscribers, on a thread of its own, so that
 * reading 1,000 sockets is not the bottleneck of the fan-out measurement.
 * Each subscriber holds /sdk/v1/flags/stream on a raw socket and notes, in
 * absolute milliseconds, when a complete `event: flags` message carrying a
 * revision has arrived.
 */

interface Sub {
  socket: Socket;
  revision: number;
  arrivals: Map<number, number>;
}

const { url, clientKey, count } = workerData as { url: string; clientKey: string; count: number };
const { hostname, port } = new URL(url);
const clock = () => performance.timeOrigin + performance.now();
/** An `id:` line, then `event: flags` and one data line that has fully arrived (its blank line too). */
const MESSAGE = /id: (\d+)\nevent: flags\ndata: [^\n]*\n\n/g;

let waiting: number | undefined;
const subs: Sub[] = [];

function check(): void {
  if (waiting === undefined) return;
  const revision = waiting;
  if (subs.some((s) => s.revision < revision)) return;
  waiting = undefined;
  parentPort!.postMessage({ type: 'arrived', revision, times: subs.map((s) => s.arrivals.get(revision)!) });
}

function subscribe(): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    const sub: Sub = { socket, revision: 0, arrivals: new Map() };
    let buffer = '';
    let ready = false;
    socket.on('connect', () => {
      socket.write(`GET /sdk/v1/flags/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\nX-API-Key: ${clientKey}\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      const at = clock();
      buffer += chunk;
      if (!ready && !buffer.startsWith('HTTP/1.1 200')) {
        if (buffer.includes('\r\n')) reject(new Error(`stream answered ${buffer.slice(0, buffer.indexOf('\r\n'))}`));
        return;
      }
      MESSAGE.lastIndex = 0;
      let consumed = 0;
      for (let m = MESSAGE.exec(buffer); m !== null; m = MESSAGE.exec(buffer)) {
        const revision = Number(m[1]);
        if (!sub.arrivals.has(revision)) sub.arrivals.set(revision, at);
        sub.revision = Math.max(sub.revision, revision);
        consumed = MESSAGE.lastIndex;
        if (!ready) {
          ready = true;
          resolve(sub);
        }
      }
      if (consumed) buffer = buffer.slice(consumed);
      check();
    });
    socket.on('error', (err) => (ready ? undefined : reject(err)));
  });
}

parentPort!.on('message', (msg: { type: 'wait'; revision: number } | { type: 'close' }) => {
  if (msg.type === 'wait') {
    waiting = msg.revision;
    check();
  } else {
    for (const s of subs) s.socket.destroy();
    parentPort!.close();
  }
});

try {
  // Connect in batches so the listen backlog is never the thing measured.
  for (let i = 0; i < count; i += 100) subs.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, subscribe))));
  parentPort!.postMessage({ type: 'ready' });
} catch (err) {
  parentPort!.postMessage({ type: 'failed', message: (err as Error).message });
}
