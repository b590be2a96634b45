import type { Routes, TrafficRouter } from './router.js';
import { copyRoutes, validateRoutes } from './validate.js';

export const type = 'noop';

/**
 * For rollouts whose traffic is split elsewhere (or not at all, e.g. flag-only
 * rollouts): moves no traffic, but confirms what it was asked to carry so the
 * controller's read-back after each change succeeds.
 */
export class NoopRouter implements TrafficRouter {
  readonly type = type;
  private readonly routes = new Map<string, Routes>();

  async setRoutes(service: string, routes: Routes): Promise<void> {
    validateRoutes(service, routes);
    this.routes.set(service, copyRoutes(routes));
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    const r = this.routes.get(service);
    return r ? copyRoutes(r) : undefined;
  }

  async finalize(service: string): Promise<void> {
    this.routes.delete(service);
  }
}
