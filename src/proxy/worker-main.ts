/**
 * Entry point of a proxy worker process (forked by node:cluster from
 * EmbeddedProxy with `workers > 1`): a LocalPlane driven by the primary over
 * IPC. Listeners opened here share the primary's listening socket, which hands
 * each new connection to one worker in turn.
 */
import { planeConfig } from './config.js';
import type { EmbeddedProxyOptions } from './config.js';
import type { ServiceSnapshot } from './counters.js';
import { LocalPlane } from './plane.js';
import type { ProxyLogger } from './support.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { loggable, WORKER_OPTIONS_ENV } from './worker-protocol.js';

/** How often changed counters are pushed to the primary. */
const PUSH_MS = 100;

function send(m: FromWorker): void {
  process.send?.(m);
}

const log: ProxyLogger = {
  info: (obj, msg) => send({ t: 'log', level: 'info', obj: loggable(obj), msg }),
  warn: (obj, msg) => send({ t: 'log', level: 'warn', obj: loggable(obj), msg }),
  error: (obj, msg) => send({ t: 'log', level: 'error', obj: loggable(obj), msg }),
};

const options = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? '{}') as EmbeddedProxyOptions;
const plane = new LocalPlane({ ...planeConfig(options), log });

function counters(): Record<string, ServiceSnapshot> {
  const at = Date.now();
  const out: Record<string, ServiceSnapshot> = {};
  for (const s of plane.countedServices()) out[s] = plane.snapshot(s, at)!;
  return out;
}

/** A cheap fingerprint of the counters, to push only when something moved. */
function fingerprint(c: Record<string, ServiceSnapshot>): string {
  let f = '';
  for (const [s, snap] of Object.entries(c)) f += `${s}:${snap.stable.requests}:${snap.canary.requests}:${snap.stable.latency.count}:${snap.canary.latency.count};`;
  return f;
}

let last = '';
const pusher = setInterval(() => {
  const c = counters();
  const f = fingerprint(c);
  if (f === last) return;
  last = f;
  send({ t: 'counters', counters: c });
}, PUSH_MS);
pusher.unref();

async function handle(m: ToWorker): Promise<void> {
  try {
    let url: string | undefined;
    if (m.t === 'apply') url = await plane.apply(m.service, m.routes, m.bind);
    else if (m.t === 'remove') await plane.remove(m.service);
    else await plane.close();
    send({ t: 'done', id: m.id, url, counters: counters() });
  } catch (err) {
    const e = err as Error & { code?: string; service?: string; cause?: { code?: string } };
    send({
      t: 'done',
      id: m.id,
      error: { code: e.code ?? 'SLUICE_PROXY_WORKER', message: e.message, service: e.service, causeCode: e.cause?.code },
      counters: counters(),
    });
  }
  if (m.t === 'close') {
    clearInterval(pusher);
    process.disconnect?.();
  }
}

// Commands for one service apply in arrival order; services do not wait for each other (a drain can take long).
const chains = new Map<string, Promise<void>>();
process.on('message', (m: ToWorker) => {
  const key = m.t === 'close' ? '' : m.service;
  const prior = m.t === 'close' ? Promise.all(chains.values()) : (chains.get(key) ?? Promise.resolve());
  const next = prior.then(() => handle(m));
  chains.set(key, next);
  void next.then(() => {
    if (chains.get(key) === next) chains.delete(key);
  });
});
process.on('disconnect', () => process.exit(0));
send({ t: 'ready' });
