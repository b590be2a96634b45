import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Controller } from '../controller/controller.js';
import type { Logger } from '../log/logger.js';
import { BuiltinProvider } from '../metrics/builtin.js';
import { EmbeddedProxy } from '../proxy/proxy.js';
import { EmbeddedRouter, previewService } from '../routers/embedded.js';
import { withPreviewWindows } from '../controller/preview-window.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { createTokenStore } from '../store/token-store-factory.js';
import type { TokenStore } from '../store/token-store.js';
import { FlagService } from '../flags/service.js';
import { createFlagStore } from '../store/flag-store-factory.js';
import type { FlagStore } from '../store/flag-store.js';
import { buildApp } from './app.js';
import { ensureAdminToken } from './auth-tokens.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { registerApproveRoutes } from './approve-routes.js';
import { registerFlagTrackingRoutes } from './flags-tracking-routes.js';
import { TrackingAggregator } from '../flags/tracking.js';
import { withGuardedFlags } from '../flags/guarded-plane.js';
import { ApproveLinks, loadApproveKey } from '../notify/approve-link.js';
import { liveFromWindow } from './views.js';

export interface ControlPlaneOptions {
  /** host:port for the API; port 0 picks a free one. */
  api: string;
  dataDir: string;
  logger: Logger;
  /** Override the store (tests); default SQLite in dataDir/sluice.db. */
  store?: Store;
  /** Override the token store (tests); default the `tokens` table of dataDir/sluice.db. */
  tokens?: TokenStore;
  /** Serve /metrics without a token (default true). */
  publicMetrics?: boolean;
  /** Processes carrying the embedded proxy's traffic (default 1: this one). */
  proxyWorkers?: number;
  /** Override the flag store (tests); default the flag tables of dataDir/sluice.db. */
  flagStore?: FlagStore;
  tickMs?: number;
  now?: () => number;
  /** The base URL people reach the API at, for approve links in notifications (default: $SLUICE_PUBLIC_URL, else the API's own URL). */
  publicUrl?: string;
}

export interface ControlPlane {
  /** The API's base URL, e.g. http://127.0.0.1:7070 */
  url: string;
  controller: Controller;
  proxy: EmbeddedProxy;
  tokens: TokenStore;
  flags: FlagService;
  /** Outcomes applications report per flag variant (POST /sdk/v1/track), for guarded flag rollouts. */
  tracking: TrackingAggregator;
  /** Where the first admin token was written, and its text, when this start created it (a fresh data directory). */
  adminToken?: { file: string; text: string };
  close(): Promise<void>;
}

/** How far back the live view (status, dashboard) looks. */
const LIVE_WINDOW_MS = 10_000;

/** Starts everything `sluice up` runs: store, embedded proxy, controller, API. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { host, port } = splitHostPort(opts.api);
  const dataDir = resolve(opts.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it exists and is not a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw Object.assign(new Error(`cannot use ${dataDir} as the data directory: ${why}; pick another with --data-dir`, { cause: err }), { code: 'SLUICE_DATA_DIR' });
  }
  const lock = acquireDataDirLock(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [() => lock.release()];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const store = opts.store ?? createStore({ type: 'sqlite', path: join(dataDir, 'sluice.db') });
    cleanups.push(() => store.close());
    const tokens = opts.tokens ?? createTokenStore({ type: 'sqlite', path: join(dataDir, 'sluice.db') });
    cleanups.push(() => tokens.close());
    const flagStore = opts.flagStore ?? createFlagStore({ type: 'sqlite', path: join(dataDir, 'sluice.db') });
    cleanups.push(() => flagStore.close());
    const flags = new FlagService({ store: flagStore, now: opts.now });
    const tracking = new TrackingAggregator({ now: opts.now });
    const admin = ensureAdminToken(tokens, dataDir, (opts.now ?? Date.now)());
    const proxy = new EmbeddedProxy({ logger: opts.logger.child({ component: 'proxy' }), now: opts.now, workers: opts.proxyWorkers });
    cleanups.push(() => proxy.close());
    const provider = new BuiltinProvider(proxy, { now: opts.now });
    let apiUrl = '';
    const links = new ApproveLinks({ key: loadApproveKey(dataDir), baseUrl: () => opts.publicUrl ?? process.env.SLUICE_PUBLIC_URL ?? apiUrl, now: opts.now });
    // Guarded flag rollouts: the flag is the data plane, tracked outcomes the measurements.
    const guarded = withGuardedFlags({ flags, tracking, store, now: opts.now, traffic: { router: new EmbeddedRouter(proxy), windows: withPreviewWindows(provider, previewService), counters: proxy } });
    const controller = new Controller({
      store,
      router: guarded.router,
      windows: guarded.windows,
      counters: guarded.counters,
      logger: opts.logger.child({ component: 'controller' }),
      now: opts.now,
      tickMs: opts.tickMs,
      notify: { links },
    });
    // A kill switch is stored on its rollout by the flag side: it goes out on the live stream like the controller's own events.
    guarded.onRecorded((events) => controller.emit('events', events));
    await controller.start();
    cleanups.push(() => controller.stop());
    const sampler = setInterval(() => {
      // The services the proxy carries (previews included): no need to read every rollout's state each second.
      provider.sample(proxy.serviceNames());
      guarded.sample();
    }, 1000);
    sampler.unref();
    cleanups.push(() => clearInterval(sampler));

    const now = opts.now ?? Date.now;
    const live = (service: string) => {
      const t = now();
      // Not before the current revision started: its predecessor's traffic is another story.
      const startedAt = store.getRollout(service)?.state.startedAt ?? 0;
      const from = Math.max(t - LIVE_WINDOW_MS, startedAt);
      const w = guarded.window(service, from, t) ?? provider.window(service, from, t);
      return w ? liveFromWindow(w) : undefined;
    };
    const app = buildApp({
      controller,
      metricsText: () => proxy.metricsText(),
      live,
      logger: opts.logger.child({ component: 'api' }),
      auth: { tokens, publicMetrics: opts.publicMetrics },
      history: store,
      now: opts.now,
      flags,
    });
    void app.register(async (api) => registerApproveRoutes(api, { controller, links }), { prefix: '/api/v1' });
    void app.register(async (sdk) => registerFlagTrackingRoutes(sdk, { flags, tracking }));
    await app.listen({ host, port });
    cleanups.push(() => app.close());
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    apiUrl = url;
    opts.logger.info({ api: url, dataDir }, 'sluice control plane is up');
    const adminToken = admin.created && admin.text ? { file: admin.file, text: admin.text } : undefined;
    return { url, controller, proxy, tokens, flags, tracking, adminToken, close: closeAll };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

export function splitHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`"${value}" is not HOST:PORT (for example 127.0.0.1:7070)`);
  return { host: (m[1] ?? m[2])!, port };
}
