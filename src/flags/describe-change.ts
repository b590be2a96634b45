import type { FlagDefinition, Split } from '../spec/flagset-types.js';

/** One line for history: what changed in a flag, in the words an operator would use. */
export function describeFlagChange(key: string, before: FlagDefinition | undefined, after: FlagDefinition | undefined): string {
  if (!before && after) return `flag "${key}" created (${after.enabled ? 'on' : 'off'}, ${serving(after)})`;
  if (before && !after) return `flag "${key}" deleted`;
  if (!before || !after) return `flag "${key}" unchanged`;
  const parts: string[] = [];
  if (before.enabled !== after.enabled) parts.push(after.enabled ? 'turned on' : `turned off (serving "${after.offVariant}")`);
  if (before.defaultVariant !== after.defaultVariant) parts.push(`default variant "${before.defaultVariant}" → "${after.defaultVariant}"`);
  if (before.offVariant !== after.offVariant) parts.push(`off variant "${before.offVariant}" → "${after.offVariant}"`);
  if (!same(before.split, after.split)) parts.push(`split ${splitText(before.split)} → ${splitText(after.split)}`);
  if (!same(before.rules, after.rules)) parts.push(`rules changed (${before.rules.length} → ${after.rules.length})`);
  if (!same(before.variants, after.variants)) parts.push('variants changed');
  if (before.salt !== after.salt || before.bucketBy !== after.bucketBy) parts.push(`bucketing changed (salt "${after.salt}", by ${after.bucketBy})`);
  if ((before.description ?? '') !== (after.description ?? '')) parts.push('description changed');
  return `flag "${key}": ${parts.length ? parts.join('; ') : 'updated'}`;
}

export function splitText(split: Split | undefined): string {
  if (!split || Object.keys(split).length === 0) return 'none';
  return Object.entries(split).map(([v, p]) => `${v} ${p}%`).join(', ');
}

function serving(def: FlagDefinition): string {
  const rules = def.rules.length ? `${def.rules.length} rule${def.rules.length === 1 ? '' : 's'}, ` : '';
  return def.split ? `${rules}split ${splitText(def.split)}, rest "${def.defaultVariant}"` : `${rules}default "${def.defaultVariant}"`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
