import type { EmbeddedProxy } from '../proxy/proxy.js';
import * as embedded from './embedded.js';
import { RouterError } from './errors.js';
import * as memory from './memory.js';
import * as noop from './noop.js';
import type { TrafficRouter } from './router.js';

export { RouterError } from './errors.js';
export type { RouterErrorCode } from './errors.js';
export { EmbeddedRouter } from './embedded.js';
export { MemoryRouter } from './memory.js';
export type { RouterCall } from './memory.js';
export { NoopRouter } from './noop.js';

/** A router's configuration: `type` picks the implementation; the rest is its own. */
export interface RouterConfig {
  type: string;
  [key: string]: unknown;
}

/** What routers may need from the process that creates them. */
export interface RouterDeps {
  /** The in-process proxy, required by `type: embedded`. */
  proxy?: EmbeddedProxy;
}

/** Router types createRouter knows, in the order they are listed to users. */
export const ROUTER_TYPES = [embedded.type, memory.type, noop.type] as const;

/** The router for `config.type`; an unknown type is an error listing the known ones (never a fallback). */
export function createRouter(config: RouterConfig, deps: RouterDeps = {}): TrafficRouter {
  switch (config.type) {
    case embedded.type:
      if (!deps.proxy) {
        throw new RouterError(
          'SLUICE_ROUTER_CONFIG',
          'router type "embedded" needs the in-process proxy: pass { proxy } to createRouter (sluice up does this)',
        );
      }
      return new embedded.EmbeddedRouter(deps.proxy);
    case memory.type:
      return new memory.MemoryRouter();
    case noop.type:
      return new noop.NoopRouter();
    default:
      throw new RouterError(
        'SLUICE_ROUTER_UNKNOWN_TYPE',
        `unknown router type ${JSON.stringify(config.type)}; known types: ${ROUTER_TYPES.join(', ')}`,
      );
  }
}
