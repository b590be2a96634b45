import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a Receiver got. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  at: number;
}

export type Reply = { status: number; body?: string; delayMs?: number };

/**
 * A real HTTP server on a free loopback port that records what it receives
 * and answers as told: for webhook and notification tests.
 */
export class Receiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  private reply: (r: Received) => Reply = () => ({ status: 200, body: 'ok' });
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await r.listen();
    return r;
  }

  /** How to answer from now on. */
  answer(reply: Reply | ((r: Received) => Reply)): this {
    this.reply = typeof reply === 'function' ? reply : () => reply;
    return this;
  }

  /** Requests to `path` (all when omitted). */
  at(path?: string): Received[] {
    return path === undefined ? this.received : this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const got: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, ...(json === undefined ? {} : { json }), at: Date.now() };
        this.received.push(got);
        const { status, body: out = '', delayMs = 0 } = this.reply(got);
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(out);
        };
        if (delayMs > 0) setTimeout(send, delayMs).unref();
        else send();
      });
    });
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
        resolve();
      });
    });
  }
}
