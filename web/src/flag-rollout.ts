import type { FlagTarget, RolloutView } from './types.js';

/**
 * A guarded flag rollout (spec.flag) as people think of it: the share of an
 * environment's users served one variant of a flag, against everyone else.
 * Its routes encode the flag (src/flags/guarded.ts): the variant is the
 * upstream `KEY=VARIANT`, on the canary side while rolling out and on the
 * stable side once promoted.
 */
export interface FlagRollout extends FlagTarget {
  /** Percent of users served the variant. */
  share: number;
  /** `new-checkout=on`: the users served the variant (the "canary" series). */
  variantSide: string;
  /** `new-checkout!=on`: everyone else (the "stable" series). */
  restSide: string;
}

type Viewed = Pick<RolloutView, 'rollout' | 'routes' | 'canaryWeight'>;

export function flagRolloutOf(v: Viewed): FlagRollout | undefined {
  const target = v.rollout.spec.flag;
  if (!target) return undefined;
  const variantSide = `${target.key}=${target.variant}`;
  const weight = v.routes.canaryWeight ?? v.canaryWeight;
  // Once promoted the variant is the stable side and gets whatever the weight leaves.
  const share = (v.routes.canary ?? [variantSide]).includes(variantSide) ? weight : 100 - weight;
  return { ...target, share, variantSide, restSide: `${target.key}!=${target.variant}` };
}

/** `flag production/new-checkout → on`. */
export function flagTargetText(t: FlagTarget): string {
  return `flag ${t.environment}/${t.key} → ${t.variant}`;
}

/** Rollouts that drive a flag, the live ones first, then by name. */
export function rolloutsOfFlag(rollouts: Iterable<RolloutView>, environment: string, key: string, live: (v: RolloutView) => boolean): RolloutView[] {
  return [...rollouts]
    .filter((v) => v.rollout.spec.flag?.environment === environment && v.rollout.spec.flag.key === key)
    .sort((a, b) => Number(live(b)) - Number(live(a)) || (a.name < b.name ? -1 : 1));
}

/** What the two sides of a rollout are called in its analysis: canary and stable, or a flag rollout's users on the variant and everyone else. */
export interface Sides {
  /** "canary", "users on new-checkout=on". */
  canary: string;
  /** "stable", "everyone else". */
  stable: string;
  /** What a judge passes or fails: "the canary", "users on new-checkout=on". */
  judged: string;
}

export const TRAFFIC_SIDES: Sides = { canary: 'canary', stable: 'stable', judged: 'the canary' };

export function sidesOf(flag: Pick<FlagRollout, 'variantSide'> | undefined): Sides {
  if (!flag) return TRAFFIC_SIDES;
  const users = `users on ${flag.variantSide}`;
  return { canary: users, stable: 'everyone else', judged: users };
}
