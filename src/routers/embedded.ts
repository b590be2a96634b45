import type { EmbeddedProxy } from '../proxy/proxy.js';
import type { Routes, TrafficRouter } from './router.js';

export const type = 'embedded';

/** The proxy service carrying a rollout's blue-green preview listener (rollout names hold no dots, so it never clashes). */
export function previewService(service: string): string {
  return `${service}.preview`;
}

/**
 * Drives Sluice's own in-process proxy; `getRoutes` reads back what the proxy
 * carries. A preview (`routes.preview`) is a second proxy service on its own
 * address whose every request goes to the canary and is counted as canary.
 */
export class EmbeddedRouter implements TrafficRouter {
  readonly type = type;

  constructor(readonly proxy: EmbeddedProxy) {}

  async setRoutes(service: string, routes: Routes): Promise<void> {
    const { preview, ...main } = routes;
    await this.proxy.setRoutes(service, main);
    const name = previewService(service);
    if (preview) {
      const { match: _m, mirror: _r, stickiness: _s, ...options } = main;
      await this.proxy.setRoutes(name, { ...options, listen: preview.listen, stable: [...main.canary], canary: [...main.canary], canaryWeight: 100 });
    } else if (this.proxy.getRoutes(name)) {
      await this.proxy.removeService(name);
    }
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    const main = this.proxy.getRoutes(service);
    const preview = this.proxy.getRoutes(previewService(service));
    return main && preview ? { ...main, preview: { listen: preview.listen } } : main;
  }

  async finalize(service: string): Promise<void> {
    await Promise.all([this.proxy.removeService(service), this.proxy.removeService(previewService(service))]);
  }
}
