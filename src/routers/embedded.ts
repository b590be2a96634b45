import type { EmbeddedProxy } from '../proxy/proxy.js';
import type { Routes, TrafficRouter } from './router.js';

export const type = 'embedded';

/** Drives Sluice's own in-process proxy; `getRoutes` reads back what the proxy carries. */
export class EmbeddedRouter implements TrafficRouter {
  readonly type = type;

  constructor(readonly proxy: EmbeddedProxy) {}

  setRoutes(service: string, routes: Routes): Promise<void> {
    return this.proxy.setRoutes(service, routes);
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    return this.proxy.getRoutes(service);
  }

  finalize(service: string): Promise<void> {
    return this.proxy.removeService(service);
  }
}
