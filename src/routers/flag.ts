import type { FlagService } from '../flags/service.js';
import { FLAG_LISTEN_PREFIX, isFlagListen, routesShare, servedShare } from '../flags/guarded.js';
import { isKillSwitch, lastSwitch, type FlagSwitch } from '../flags/rollout-lock.js';
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
 *
 * A flag someone switched off during the rollout (a kill switch) stays off:
 * the router still sets the share, but `getRoutes` then reads 0%, so the
 * controller holds the rollout as unconfirmed until the flag is switched on
 * again or the rollout ends.
 */
export class FlagRouter implements TrafficRouter {
  readonly type = type;
  readonly #flags: FlagService;
  readonly #targets = new Map<string, Target>();
  readonly #startedAt: (service: string) => number | undefined;
  /** Per rollout, the flag's latest switch on or off as read so far, and the history read up to: each call reads only what is new. */
  readonly #switches = new Map<string, { seq: number; last?: FlagSwitch }>();

  /** `startedAt`: when the rollout's current revision started; without it, the router switches a flag on whenever it serves the variant. */
  constructor(flags: FlagService, opts: { startedAt?: (service: string) => number | undefined } = {}) {
    this.#flags = flags;
    this.#startedAt = opts.startedAt ?? (() => undefined);
  }

  /** Whether `service` is a flag this router has been given. */
  carries(service: string): boolean {
    return this.#targets.has(service);
  }

  async setRoutes(service: string, routes: Routes): Promise<void> {
    const target = parse(service, routes);
    const share = routesShare(target, routes);
    const view = this.#flag(service, target);
    if (!Object.hasOwn(view.definition.variants, target.variant)) {
      throw new RouterError('SLUICE_ROUTES_INVALID', `flag "${target.key}" in environment "${target.environment}" has no variant "${target.variant}" (it has ${Object.keys(view.definition.variants).join(', ')}); fix spec.flag.variant`);
    }
    const switchOn = share > 0 && !view.definition.enabled && !this.#switchedOff(service, target);
    const patch = switchOn ? { enabled: true, variant: target.variant, percent: share } : { variant: target.variant, percent: share };
    this.#flags.setFlag(target.environment, target.key, patch, `rollout/${service}`);
    this.#targets.set(service, { ...target, routes: copyRoutes(routes) });
  }

  async getRoutes(service: string): Promise<Routes | undefined> {
    const target = this.#targets.get(service);
    if (!target) return undefined;
    const def = this.#flag(service, target).definition;
    const share = servedShare(def, target.variant);
    const onCanary = target.routes.canary.length > 0;
    return { ...copyRoutes(target.routes), canaryWeight: onCanary ? share : 100 - share };
  }

  async finalize(service: string): Promise<void> {
    // The flag stays as the rollout left it: deleting a rollout does not delete or reset a flag.
    this.#targets.delete(service);
    this.#switches.delete(service);
  }

  #switchedOff(service: string, target: Omit<Target, 'routes'>): boolean {
    const startedAt = this.#startedAt(service);
    if (startedAt === undefined) return false;
    const known = this.#switches.get(service) ?? { seq: 0 };
    const since = this.#flags.history(target.environment, target.key, { afterSeq: known.seq });
    const seen = since.length ? { seq: since[since.length - 1].seq, last: lastSwitch(since) ?? known.last } : known;
    this.#switches.set(service, seen);
    return isKillSwitch(seen.last, service, startedAt);
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
