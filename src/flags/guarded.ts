import type { FlagTargetSpec, ServiceSpec } from '../spec/types.js';

/**
 * A guarded flag rollout is a Rollout whose data plane is a flag: the
 * engine, controller, judge, events and notifications apply unchanged. Its
 * Routes name the flag instead of addresses — this file is the one place
 * that encoding is defined.
 */

/** Routes whose `listen` starts with this belong to a flag, not to the proxy. */
export const FLAG_LISTEN_PREFIX = 'flag:';

export function flagListen(t: Pick<FlagTargetSpec, 'environment' | 'key'>): string {
  return `${FLAG_LISTEN_PREFIX}${t.environment}/${t.key}`;
}

/** The "upstream" standing for the users served the variant. */
export function variantUpstream(t: Pick<FlagTargetSpec, 'key' | 'variant'>): string {
  return `${t.key}=${t.variant}`;
}

/** The "upstream" standing for every other user. */
export function restUpstream(t: Pick<FlagTargetSpec, 'key' | 'variant'>): string {
  return `${t.key}!=${t.variant}`;
}

/** The service a flag rollout carries in RolloutSpec.service. */
export function flagService(t: FlagTargetSpec): ServiceSpec {
  return { listen: flagListen(t), stable: { upstreams: [restUpstream(t)] }, canary: { upstreams: [variantUpstream(t)] } };
}

export function isFlagListen(listen: string): boolean {
  return listen.startsWith(FLAG_LISTEN_PREFIX);
}

/** Percentage of users that `routes` give the variant: the canary's weight while rolling out, the rest once promoted. */
export function routesShare(t: Pick<FlagTargetSpec, 'key' | 'variant'>, routes: { canary: readonly string[]; canaryWeight: number }): number {
  return routes.canary.includes(variantUpstream(t)) ? routes.canaryWeight : 100 - routes.canaryWeight;
}

/** Percentage of users a flag definition really serves `variant` outside its rules (0 when the flag is off). */
export function servedShare(def: { enabled: boolean; defaultVariant: string; split?: Record<string, number> }, variant: string): number {
  if (!def.enabled) return 0;
  if (variant === def.defaultVariant) return 100 - Object.values(def.split ?? {}).reduce((a, b) => a + b, 0);
  return def.split?.[variant] ?? 0;
}
