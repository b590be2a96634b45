import { describe, expect, it } from 'vitest';
import { sidesOf, TRAFFIC_SIDES } from '../../web/src/flag-rollout.js';

/** How the analysis names a rollout's two sides: versions for traffic, users for a guarded flag rollout. */
describe('sides of a rollout', () => {
  it('names a traffic rollout canary and stable', () => {
    expect(sidesOf(undefined)).toEqual({ canary: 'canary', stable: 'stable', judged: 'the canary' });
    expect(sidesOf(undefined)).toBe(TRAFFIC_SIDES);
  });

  it('names a flag rollout by its users: those on the variant against everyone else', () => {
    const sides = sidesOf({ variantSide: 'new-checkout=on' });
    expect(sides).toEqual({ canary: 'users on new-checkout=on', stable: 'everyone else', judged: 'users on new-checkout=on' });
    expect(Object.values(sides).join(' ')).not.toMatch(/canary|stable/);
  });
});
