import type { FlagService } from '../flags/service.js';
import { FLAG_LISTEN_PREFIX, isFlagListen } from '../flags/guarded.js';
import { RouterError } from './errors.js';
import type { Routes, TrafficRouter } from './router.js';
import { copyRoutes } from './validate.js';

export const type = 'flag';

interface Target {
  environment: string;
  key: string;
  variant: string;
  /** Whether `routes.canary` (rolling out) or `routes.stable` (promoted) holds the variant. */
  routes: Routes;
}

/**
 * The data plane of a guarded flag rollout: a flag. `setRoutes` sets the
 * share of users served the variant through FlagService (an event with the
 * rollout as actor; no change, no write), `getRoutes` reads the share back
 * from the flag's definition. Routes are encoded as in flags/guarded.ts: the
 * variant's "upstream" is `KEY=VARIANT`; while rolling out it is the canary
 * and gets `canaryWeight` percent, once promoted it is the stable and gets
 * `100 − canaryWeight`.
 */
export class FlagRouter implements TrafficRouter {
  readonly type = type;
  readonly #flags: FlagService;
  readonly #targets = new Map<string, Target>();

  constructor(flags: FlagService) {
    this.#flags = flags;
  }

  /** Whether `service` is a flag this router has been given. */
  carries(service: string): boolean {
    return this.#targets.has(service);
  }

  async setRoutes(service: string, routes: Routes): Promise<void> {
    const target = parse(service, routes);
    const share = variantShare(target, routes);
    const view = this.#flag(service, target);
    if (!Object.hasOwn(view.definition.variants, target.variant)) {
      throw new RouterError('SLUICE_ROUTES_INVALID', `flag "${target.key}" in environment "${target.environment}" has no variant "${target.variant}" (it has ${Object.keys(view.definition.variants).join(', ')}); fix spec.flag.variant`);
    }
    const patch = share > 0 && !view.definition.enabled ? { enabled: true, variant: target.variant, percent: share } : { variant: target.variant, percent: share };
    this.#flags.setFlag(target.environment, target.key, patch, `rollout/${service}`);
    this.#targets.set(service, { ...target, routes: copyRoutes(routes) });
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    const target = this.#targets.get(service);
    if (!target) return undefined;
    const def = this.#flag(service, target).definition;
    const share = !def.enabled ? 0 : target.variant === def.defaultVariant ? 100 - Object.values(def.split ?? {}).reduce((a, b) => a + b, 0) : def.split?.[target.variant] ?? 0;
    const onCanary = target.routes.canary.length > 0;
    return { ...copyRoutes(target.routes), canaryWeight: onCanary ? share : 100 - share };
  }

  async finalize(service: string): Promise<void> {
    // The flag stays as the rollout left it: deleting a rollout does not delete or reset a flag.
    this.#targets.delete(service);
  }

  #flag(service: string, target: Omit<Target, 'routes'>) {
    try {
      return this.#flags.flag(target.environment, target.key);
    } catch (err) {
      throw new RouterError('SLUICE_ROUTES_INVALID', `rollout "${service}": ${(err as Error).message}`, { cause: err });
    }
  }
}

function parse(service: string, routes: Routes): Omit<Target, 'routes'> {
  const bad = (why: string) => new RouterError('SLUICE_ROUTES_INVALID', `rollout "${service}": ${why}`);
  if (!isFlagListen(routes.listen)) throw bad(`listen must be ${FLAG_LISTEN_PREFIX}ENVIRONMENT/KEY for the flag router, got ${JSON.stringify(routes.listen)}`);
  const [environment, key, ...more] = routes.listen.slice(FLAG_LISTEN_PREFIX.length).split('/');
  if (!environment || !key || more.length > 0) throw bad(`listen ${JSON.stringify(routes.listen)} is not ${FLAG_LISTEN_PREFIX}ENVIRONMENT/KEY`);
  const upstream = [...routes.canary, ...routes.stable].find((u) => u.startsWith(`${key}=`));
  if (!upstream) throw bad(`no ${key}=VARIANT upstream names the variant being rolled out`);
  if (!(routes.canaryWeight >= 0 && routes.canaryWeight <= 100)) throw bad(`canaryWeight must be 0–100, got ${routes.canaryWeight}`);
  return { environment, key, variant: upstream.slice(key.length + 1) };
}

/** Percentage of users the routes give the variant. */
function variantShare(t: Omit<Target, 'routes'>, routes: Routes): number {
  const upstream = `${t.key}=${t.variant}`;
  if (routes.canary.includes(upstream)) return routes.canaryWeight;
  return 100 - routes.canaryWeight;
}
