import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Routes } from '../routers/router.js';
import { parseListen } from '../routers/validate.js';
import type { ListenAddress } from '../routers/validate.js';
import type { EmbeddedProxyOptions } from './config.js';
import type { ServiceSnapshot } from './counters.js';
import { mergeSnapshots } from './counters.js';
import { ProxyError } from './errors.js';
import type { ProxyErrorCode } from './errors.js';
import type { DataPlane } from './proxy.js';
import { listenFailure } from './support.js';
import type { ProxyLogger } from './support.js';
import type { FromWorker, ToWorker, WorkerFailure } from './worker-protocol.js';
import { WORKER_OPTIONS_ENV } from './worker-protocol.js';

/** The compiled worker entry: beside this module, or in dist/ when this module runs from TypeScript sources (tests). */
function workerScript(): string {
  for (const rel of ['./worker-main.js', '../../dist/proxy/worker-main.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new ProxyError('SLUICE_PROXY_WORKER', 'sluice: the proxy worker script (worker-main.js) is missing; run `npm run build` first');
}

/** A free port on `host`, chosen here so every worker binds the same one for "host:0". */
function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: host || undefined, port: 0 }, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The options a worker can receive as JSON: functions (clock, random, logger) stay in this process. */
function serialisable(o: EmbeddedProxyOptions): EmbeddedProxyOptions {
  const { now: _now, random: _random, logger: _logger, workers: _workers, ...rest } = o;
  return rest;
}

interface Member {
  worker: Worker;
  /** The worker listens for commands (messages sent earlier could be lost). */
  ready: Promise<void>;
  /** Ready and, for a replacement, given every carried service: commands wait for this, so they keep their order. */
  usable: Promise<void>;
  /** Latest cumulative counters this worker reported, per service. */
  counters: Map<string, ServiceSnapshot>;
}

type Reply = Extract<FromWorker, { t: 'done' }>;

/**
 * Several worker processes carrying the same services: each worker runs a
 * LocalPlane whose listeners share one listening socket per service (node:cluster
 * hands each new connection to the next worker). Changes resolve once every
 * worker has applied them; counters are the sum of what each worker last
 * reported (pushed every ~100 ms and with every reply), plus what workers that
 * died had counted. A dead worker is replaced and given every carried service.
 */
export class WorkerPlanes implements DataPlane {
  private readonly members = new Map<number, Member>();
  private readonly pending = new Map<number, { left: Set<number>; replies: Reply[]; done: (r: Reply[]) => void }>();
  /** Counters of workers that exited, per service. */
  private readonly departed = new Map<string, ServiceSnapshot>();
  /** What every worker must carry: routes and the concrete address bound. */
  private readonly desired = new Map<string, { routes: Routes; bind: ListenAddress }>();
  private nextId = 1;
  private started: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly size: number,
    private readonly options: EmbeddedProxyOptions,
    private readonly log: ProxyLogger,
  ) {}

  canSwap(): boolean {
    return false;
  }

  swap(): void {
    throw new Error('WorkerPlanes.swap: route changes go through apply()');
  }

  async apply(service: string, routes: Routes, _bind?: ListenAddress): Promise<string> {
    await this.start();
    const addr = parseListen(routes.listen) as ListenAddress;
    const known = this.desired.get(service);
    let bind = addr;
    if (addr.port === 0) {
      bind = known && known.routes.listen === routes.listen ? known.bind : { host: addr.host, port: await ephemeralPort(addr.host).catch((err: unknown) => { throw listenFailure(service, routes.listen, err); }) };
    }
    const replies = await this.broadcast((id) => ({ t: 'apply', id, service, routes, bind }));
    const failed = replies.find((r) => r.error);
    if (failed?.error) {
      // Workers that did apply keep carrying the previous routes again on the next successful change; report the failure.
      throw rebuild(failed.error);
    }
    this.desired.set(service, { routes, bind });
    return replies[0]!.url!;
  }

  async remove(service: string): Promise<void> {
    this.desired.delete(service);
    if (!this.started) return;
    await this.broadcast((id) => ({ t: 'remove', id, service }));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.started) return;
    await this.started.catch(() => undefined); // workers that never started have nothing to close
    await this.broadcast((id) => ({ t: 'close', id }));
    await Promise.all(
      [...this.members.values()].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            if (worker.isConnected()) worker.disconnect();
            setTimeout(() => worker.process.kill(), 2_000).unref();
          }),
      ),
    );
  }

  snapshot(service: string, at: number): ServiceSnapshot | undefined {
    const parts: ServiceSnapshot[] = [];
    const gone = this.departed.get(service);
    if (gone) parts.push(gone);
    for (const m of this.members.values()) {
      const c = m.counters.get(service);
      if (c) parts.push(c);
    }
    return mergeSnapshots(parts, at);
  }

  countedServices(): string[] {
    const names = new Set(this.departed.keys());
    for (const m of this.members.values()) for (const s of m.counters.keys()) names.add(s);
    return [...names];
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      const execArgv = process.execArgv.filter((a) => a.startsWith('--cpu-prof') || a.startsWith('--max-old-space-size'));
      cluster.setupPrimary({ exec: workerScript(), args: [], execArgv, silent: false });
      await Promise.all(Array.from({ length: this.size }, () => this.fork().ready));
    })();
    return this.started;
  }

  private fork(): Member {
    const worker = cluster.fork({ [WORKER_OPTIONS_ENV]: JSON.stringify(serialisable(this.options)) });
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const readyP = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    readyP.catch(() => undefined);
    const member: Member = { worker, counters: new Map(), ready: readyP, usable: readyP };
    this.members.set(worker.id, member);
    // IPC write errors (the worker just exited) surface as 'exit' too; do not let them crash the process.
    worker.on('error', (err: Error) => this.log.warn({ worker: worker.id, err }, 'proxy worker channel error'));
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') ready();
      else if (m.t === 'counters') setCounters(member, m.counters);
      else if (m.t === 'log') this.log[m.level](m.obj, m.msg);
      else if (m.t === 'done') {
        setCounters(member, m.counters);
        this.settle(worker.id, m);
      }
    });
    worker.once('exit', (code, signal) => {
      failed(new ProxyError('SLUICE_PROXY_WORKER', `sluice: a proxy worker exited (${signal ?? code}) before it was ready`));
      this.depart(member, code, signal);
    });
    return member;
  }

  /** A worker exited: keep its counts, fail what it still owed, and (unless closing) replace it. */
  private depart(member: Member, code: number | null, signal: string | null): void {
    this.members.delete(member.worker.id);
    for (const [service, snap] of member.counters) {
      const prior = this.departed.get(service);
      this.departed.set(service, prior ? mergeSnapshots([prior, snap], snap.at)! : snap);
    }
    for (const [id, p] of this.pending) {
      if (!p.left.has(member.worker.id)) continue;
      p.replies.push({ t: 'done', id, error: { code: 'SLUICE_PROXY_WORKER', message: `sluice: a proxy worker exited (${signal ?? code}) while applying a change; it has been replaced, retry` }, counters: {} });
      this.settle(member.worker.id, undefined, id);
    }
    if (this.closing) return;
    this.log.error({ worker: member.worker.id, code, signal }, 'proxy worker exited; starting a replacement');
    const next = this.fork();
    next.usable = next.ready.then(async () => {
      for (const [service, { routes, bind }] of this.desired) {
        const reply = await this.send(next, (id) => ({ t: 'apply', id, service, routes, bind }), true);
        if (reply.error) this.log.error({ worker: next.worker.id, service, error: reply.error.message }, 'proxy worker replacement could not carry a service');
      }
    });
    next.usable.catch((err: unknown) => this.log.error({ err }, 'proxy worker replacement failed'));
  }

  private settle(workerId: number, reply: Reply | undefined, id = reply?.id): void {
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || !p.left.delete(workerId)) return;
    if (reply) p.replies.push(reply);
    if (p.left.size === 0) {
      this.pending.delete(id!);
      p.done(p.replies);
    }
  }

  /** Sends one command to every live worker (each once it is usable) and waits for all their replies. */
  private broadcast(make: (id: number) => ToWorker): Promise<Reply[]> {
    const members = [...this.members.values()];
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { left: new Set(members.map((m) => m.worker.id)), replies: [], done: resolve });
      const msg = make(id);
      for (const m of members) void m.usable.then(() => this.post(m, msg), () => this.post(m, msg));
    });
  }

  /** One command to one worker; `early` skips waiting for `usable` (the replay that makes it usable). */
  private async send(member: Member, make: (id: number) => ToWorker, early = false): Promise<Reply> {
    const id = this.nextId++;
    if (!early) await member.usable.catch(() => undefined);
    const replies = await new Promise<Reply[]>((resolve) => {
      this.pending.set(id, { left: new Set([member.worker.id]), replies: [], done: resolve });
      this.post(member, make(id));
    });
    return replies[0]!;
  }

  /** Sends unless the worker is already gone (its 'exit' then settles what it owed). */
  private post(member: Member, msg: ToWorker): void {
    if (member.worker.isConnected()) member.worker.send(msg);
  }
}

function setCounters(member: Member, counters: Record<string, ServiceSnapshot>): void {
  for (const [s, snap] of Object.entries(counters)) member.counters.set(s, snap);
}

/** A worker's failure as the ProxyError (or router error) the caller would have got in-process. */
function rebuild(f: WorkerFailure): Error {
  const cause = f.causeCode ? Object.assign(new Error(f.causeCode), { code: f.causeCode }) : undefined;
  if (f.code.startsWith('SLUICE_PROXY_')) {
    return new ProxyError(f.code as ProxyErrorCode, f.message, { service: f.service, cause });
  }
  return Object.assign(new Error(f.message, cause ? { cause } : undefined), { code: f.code });
}
