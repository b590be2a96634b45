import type { FlagDefinition } from '../spec/flagset-types.js';
import { FlagError } from './errors.js';

/**
 * A change to one flag, as `sluice flags set` and guarded rollouts make it:
 * - `enabled`: switch the flag on or off;
 * - `variant` alone: serve that variant to everyone no rule matches;
 * - `variant` with `percent`: serve it to that share (the rest get the default
 *   variant) — raising the percentage only adds users;
 * - `percent` alone: change the share of the split's only variant.
 */
export interface FlagPatch {
  enabled?: boolean;
  variant?: string;
  percent?: number;
}

export function applyPatch(key: string, def: FlagDefinition, patch: FlagPatch): FlagDefinition {
  const bad = (message: string) => new FlagError('SLUICE_FLAG_INVALID_CHANGE', `flag "${key}": ${message}`);
  const { enabled, variant, percent } = patch;
  if (enabled === undefined && variant === undefined && percent === undefined) throw bad('nothing to change; give enabled (on/off), variant and/or percent');
  if (enabled !== undefined && typeof enabled !== 'boolean') throw bad(`enabled must be true or false, got ${JSON.stringify(enabled)}`);
  if (percent !== undefined && !(typeof percent === 'number' && percent >= 0 && percent <= 100 && Math.abs(percent * 1000 - Math.round(percent * 1000)) < 1e-6)) {
    throw bad(`percent must be a number from 0 to 100 in steps of 0.001, got ${JSON.stringify(percent)}`);
  }
  if (variant !== undefined && (typeof variant !== 'string' || !Object.hasOwn(def.variants, variant))) {
    throw bad(`no variant ${JSON.stringify(variant)}; the variants are ${Object.keys(def.variants).join(', ')}`);
  }
  const next: FlagDefinition = structuredClone(def);
  if (enabled !== undefined) next.enabled = enabled;
  if (variant === undefined && percent === undefined) return next;

  let target = variant;
  if (target === undefined) {
    const current = Object.keys(def.split ?? {});
    if (current.length !== 1) throw bad(`say which variant gets ${percent}% with --variant; the split is ${current.length ? current.join(', ') : 'empty'}`);
    target = current[0];
  }
  const share = percent ?? 100;
  if (target === def.defaultVariant) {
    if (share !== 100 && percent !== undefined) throw bad(`"${target}" is the default variant, which gets whatever a split leaves; give the percentage of another variant`);
    delete next.split;
  } else if (share === 0) {
    delete next.split;
  } else {
    next.split = { [target]: share };
  }
  return next;
}
