import type { Routes, TrafficRouter } from './router.js';
import { copyRoutes, validateRoutes } from './validate.js';

export const type = 'memory';

/** One call a MemoryRouter received, in order. */
export type RouterCall =
  | { method: 'setRoutes'; service: string; routes: Routes }
  | { method: 'getRoutes'; service: string }
  | { method: 'finalize'; service: string };

/**
 * An in-memory data plane for tests: keeps routes per service, validates them
 * like a real router, records every call, and can be told to fail the next
 * calls (to test what happens when the data plane refuses a change).
 */
export class MemoryRouter implements TrafficRouter {
  readonly type = type;
  /** Every call in order; routes are copies taken at call time. */
  readonly calls: RouterCall[] = [];
  private readonly routes = new Map<string, Routes>();
  private readonly failures: Error[] = [];

  /** Makes the next setRoutes/finalize call reject with `error` (queued, one per call). */
  failNext(error: Error): void {
    this.failures.push(error);
  }

  async setRoutes(service: string, routes: Routes): Promise<void> {
    this.calls.push({ method: 'setRoutes', service, routes: copyRoutes(routes) });
    const failure = this.failures.shift();
    if (failure) throw failure;
    validateRoutes(service, routes);
    this.routes.set(service, copyRoutes(routes));
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    this.calls.push({ method: 'getRoutes', service });
    const r = this.routes.get(service);
    return r ? copyRoutes(r) : undefined;
  }

  async finalize(service: string): Promise<void> {
    this.calls.push({ method: 'finalize', service });
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.routes.delete(service);
  }

  /** Calls of one method, for assertions. */
  callsOf<M extends RouterCall['method']>(method: M): Array<Extract<RouterCall, { method: M }>> {
    return this.calls.filter((c): c is Extract<RouterCall, { method: M }> => c.method === method);
  }
}
