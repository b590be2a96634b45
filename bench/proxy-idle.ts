/**
 * Idle keep-alive clients: opens many connections to a proxy, sends one request
 * on each and reads its response, then leaves them open and silent, as a crowd
 * of browsers between clicks would. Used to measure each proxy's RSS under them.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface IdleCrowd {
  /** Connections that answered their request and are still open. */
  open(): number;
  close(): void;
}

function oneClient(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let seen = '';
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setEncoding('latin1');
    socket.once('error', fail);
    socket.once('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
    const onData = (chunk: string): void => {
      seen += chunk;
      const head = seen.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(seen.slice(0, head));
      if (!length) return fail(new Error(`idle client needs a content-length response, got ${seen.slice(0, head)}`));
      if (seen.length < head + 4 + Number(length[1])) return;
      if (!seen.startsWith('HTTP/1.1 200')) return fail(new Error(`idle client got ${seen.split('\r\n')[0]}`));
      socket.off('data', onData);
      socket.off('error', fail);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** Opens `n` idle keep-alive connections to `url`, `batch` at a time. */
export async function openIdleCrowd(url: string, n: number, batch = 250): Promise<IdleCrowd> {
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i += batch) {
      const k = Math.min(batch, n - i);
      sockets.push(...(await Promise.all(Array.from({ length: k }, () => oneClient(hostname, Number(port))))));
    }
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  }
  return {
    open: () => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
