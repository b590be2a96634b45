import { isFlagListen } from '../flags/guarded.js';
import type { FlagRouter } from './flag.js';
import type { Routes, TrafficRouter } from './router.js';

/**
 * One router for the controller when a server carries both kinds of rollout:
 * routes of a flag rollout (listen `flag:…`) go to the flag router, every
 * other to the data plane's router. Each keeps its own services apart.
 */
export class FlagOrTrafficRouter implements TrafficRouter {
  readonly type: string;

  constructor(
    private readonly traffic: TrafficRouter,
    private readonly flag: FlagRouter,
  ) {
    this.type = `${traffic.type}+flag`;
  }

  typeFor(listen: string): string {
    return isFlagListen(listen) ? this.flag.type : this.traffic.type;
  }

  setRoutes(service: string, routes: Routes): Promise<void> {
    return isFlagListen(routes.listen) ? this.flag.setRoutes(service, routes) : this.traffic.setRoutes(service, routes);
  }

  getRoutes(service: string): Promise<Routes | undefined> {
    return this.flag.carries(service) ? this.flag.getRoutes(service) : this.traffic.getRoutes(service);
  }

  finalize(service: string): Promise<void> {
    return this.flag.carries(service) ? this.flag.finalize(service) : this.traffic.finalize(service);
  }
}
