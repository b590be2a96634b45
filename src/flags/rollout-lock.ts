import type { FlagDefinition, FlagSet } from '../spec/flagset-types.js';
import type { StoredFlagEvent } from '../store/flag-store.js';
import { FlagError } from './errors.js';
import type { FlagPatch } from './patch.js';

/**
 * A live guarded rollout owns the share of users its flag serves the variant
 * (as LaunchDarkly's guarded rollouts lock their percentages): by hand, the
 * split can only change once the rollout is paused by a user, aborted or
 * promoted. Switching the flag on or off stays possible: a kill switch must
 * always work.
 */
export interface FlagLock {
  environment: string;
  key: string;
  /** The rollout driving the flag; its own changes carry the actor `rollout/NAME`. */
  rollout: string;
  phase: string;
  /** 1-based step the rollout is at, of `steps`. */
  step: number;
  steps: number;
  variant: string;
  /** Percent of users the rollout serves the variant now. */
  share: number;
  /** When the rollout's current revision started (ms). */
  startedAt: number;
}

/** The flags live guarded rollouts drive now. */
export type FlagLocks = () => FlagLock[];

export function rolloutActor(rollout: string): string {
  return `rollout/${rollout}`;
}

/** `guarded rollout "X" (step 2 of 4, serving "on" to 1% of users)`. */
export function lockText(lock: FlagLock): string {
  return `guarded rollout "${lock.rollout}" (step ${lock.step} of ${lock.steps}, serving "${lock.variant}" to ${lock.share}% of users)`;
}

function takeOver(lock: FlagLock): string {
  const r = lock.rollout;
  return `pause (\`sluice pause ${r}\`) or abort (\`sluice abort ${r}\`) rollout "${r}" first, or promote it (\`sluice promote ${r}\`)`;
}

/** Refuses a hand-made change to a driven flag unless it only switches the flag on or off. */
export function checkPatch(lock: FlagLock | undefined, patch: FlagPatch, actor: string): void {
  if (!lock || actor === rolloutActor(lock.rollout)) return;
  if (patch.variant === undefined && patch.percent === undefined) return;
  throw new FlagError(
    'SLUICE_FLAG_UNDER_ROLLOUT',
    `flag "${lock.key}" (${lock.environment}) is driven by ${lockText(lock)}, which sets its share at each step; ` +
      `to change it by hand, ${takeOver(lock)}. Turning the flag off (\`sluice flags set ${lock.key} --off\`) stays possible as a kill switch`,
  );
}

/** Refuses to delete a flag a live rollout drives. */
export function checkDelete(lock: FlagLock | undefined, actor: string): void {
  if (!lock || actor === rolloutActor(lock.rollout)) return;
  throw new FlagError('SLUICE_FLAG_UNDER_ROLLOUT', `flag "${lock.key}" (${lock.environment}) is driven by ${lockText(lock)} and cannot be deleted; ${takeOver(lock)}`);
}

/**
 * A FlagSet as applied over driven flags: each keeps the live split the
 * rollout set (everything else in the document applies), with one warning per
 * flag kept. Deleting a driven flag or its variant is refused.
 */
export function keepRolloutSplits(set: FlagSet, current: Record<string, FlagDefinition>, locks: readonly FlagLock[], actor: string): { set: FlagSet; warnings: string[] } {
  const env = set.metadata.environment;
  const warnings: string[] = [];
  let flags = set.spec.flags;
  for (const lock of locks) {
    if (lock.environment !== env || actor === rolloutActor(lock.rollout) || !Object.hasOwn(current, lock.key)) continue;
    const incoming = Object.hasOwn(flags, lock.key) ? flags[lock.key] : undefined;
    if (!incoming) checkDelete(lock, actor);
    else if (!Object.hasOwn(incoming.variants, lock.variant)) {
      throw new FlagError('SLUICE_FLAG_UNDER_ROLLOUT', `flag "${lock.key}" (${env}) is driven by ${lockText(lock)}; the document removes variant "${lock.variant}": ${takeOver(lock)}`);
    }
    const live = current[lock.key].split;
    if (!incoming || JSON.stringify(incoming.split) === JSON.stringify(live)) continue;
    const kept: FlagDefinition = { ...incoming };
    if (live) kept.split = live;
    else delete kept.split;
    flags = { ...flags, [lock.key]: kept };
    warnings.push(
      `flag "${lock.key}": kept the split ${splitWords(live)} set by ${lockText(lock)}; the document's ${splitWords(incoming.split)} was not applied (the rest of the flag was). To change it, ${takeOver(lock)}`,
    );
  }
  return { set: flags === set.spec.flags ? set : { ...set, spec: { ...set.spec, flags } }, warnings };
}

function splitWords(split: Record<string, number> | undefined): string {
  return split && Object.keys(split).length ? Object.entries(split).map(([v, p]) => `${v} ${p}%`).join(', ') : '(none)';
}

/** A change that switched a flag on or off. */
export interface FlagSwitch {
  on: boolean;
  actor: string;
  time: number;
}

/** The latest switch on or off in `history` (oldest first), if any. A flag created off was never serving, so its creation is none. */
export function lastSwitch(history: readonly StoredFlagEvent[]): FlagSwitch | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i];
    const data = e.data as { before?: { enabled?: boolean }; after?: { enabled?: boolean } } | undefined;
    const after = data?.after?.enabled;
    if (after === undefined || data?.before?.enabled === undefined || after === data.before.enabled) continue;
    return { on: after, actor: e.actor, time: e.time };
  }
  return undefined;
}

/**
 * Whether `change` is someone other than the rollout switching the flag off
 * since the rollout's revision started: the rollout must then not switch it
 * back on.
 */
export function isKillSwitch(change: FlagSwitch | undefined, rollout: string, startedAt: number): boolean {
  return change !== undefined && !change.on && change.actor !== rolloutActor(rollout) && change.time >= startedAt;
}
