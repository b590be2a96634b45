import { describe, expect, it } from 'vitest';
import { sampleFlagSet } from '../store/flag-store-contract.js';
import { MemoryFlagStore } from '../store/flag-store-memory.js';
import type { StoredFlagEvent } from '../store/flag-store.js';
import { checkPatch, isKillSwitch, lastSwitch, type FlagLock } from './rollout-lock.js';
import { FlagService } from './service.js';
import { flagErrorOf } from './testing.js';

const LOCK: FlagLock = { environment: 'production', key: 'new-checkout', rollout: 'checkout', phase: 'progressing', step: 2, steps: 4, variant: 'on', share: 1, startedAt: 500 };

function setup(locks: FlagLock[] = [LOCK]) {
  let t = 1_000;
  const service = new FlagService({ store: new MemoryFlagStore(), now: () => ++t, locks: () => locks });
  service.apply([sampleFlagSet('checkout', 'production', 1)], 'alice');
  return service;
}

const refusal = flagErrorOf;

describe('checkPatch', () => {
  it.each([
    [{ percent: 2 }, 'alice', true],
    [{ variant: 'on', percent: 10 }, 'alice', true],
    [{ variant: 'off' }, 'alice', true],
    [{ enabled: false, percent: 0 }, 'alice', true],
    [{ enabled: false }, 'alice', false],
    [{ enabled: true }, 'alice', false],
    [{ variant: 'on', percent: 5 }, 'rollout/checkout', false],
    [{ variant: 'on', percent: 5 }, 'rollout/other', true],
  ])('%j by %s refused: %s', (patch, actor, refused) => {
    const run = () => checkPatch(LOCK, patch, actor);
    if (refused) expect(refusal(run).code).toBe('SLUICE_FLAG_UNDER_ROLLOUT');
    else expect(run).not.toThrow();
  });
});

describe('FlagService with a live guarded rollout', () => {
  it('refuses a hand-made split with 409, naming the rollout, its step and share and what to do', () => {
    const service = setup();
    const err = refusal(() => service.setFlag('production', 'new-checkout', { percent: 2 }, 'alice'));
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/guarded rollout "checkout" \(step 2 of 4, serving "on" to 1% of users\)/);
    expect(err.message).toMatch(/pause \(`sluice pause checkout`\) or abort \(`sluice abort checkout`\) rollout "checkout" first, or promote it/);
    expect(service.flag('production', 'new-checkout').definition.split).toEqual({ on: 1 });
  });

  it('lets anyone switch the flag off (kill switch) and the rollout change its split', () => {
    const service = setup();
    expect(service.setFlag('production', 'new-checkout', { enabled: false }, 'alice').flag.definition.enabled).toBe(false);
    expect(service.setFlag('production', 'new-checkout', { variant: 'on', percent: 5 }, 'rollout/checkout').flag.definition.split).toEqual({ on: 5 });
  });

  it('keeps the live split on apply, applies the rest, and warns once per flag kept', () => {
    const service = setup();
    const doc = sampleFlagSet('checkout', 'production', 10);
    doc.spec.flags['new-checkout'].description = 'new';
    const [result] = service.apply([doc], 'bob');
    const def = service.flag('production', 'new-checkout').definition;
    expect(def).toMatchObject({ split: { on: 1 }, description: 'new' });
    expect(result.warnings).toEqual([expect.stringMatching(/^flag "new-checkout": kept the split on 1% set by guarded rollout "checkout".*the document's on 10% was not applied/)]);
  });

  it('refuses to delete a driven flag, alone or with its set', () => {
    const service = setup();
    const without = sampleFlagSet('checkout');
    without.spec.flags = {};
    expect(refusal(() => service.apply([without], 'bob')).code).toBe('SLUICE_FLAG_UNDER_ROLLOUT');
    expect(refusal(() => service.deleteFlagSet('production', 'checkout', 'bob')).code).toBe('SLUICE_FLAG_UNDER_ROLLOUT');
    expect(service.flag('production', 'new-checkout').definition.split).toEqual({ on: 1 });
  });

  it('names the driving rollout in the flag views; without a lock everything is as before', () => {
    expect(setup().flag('production', 'new-checkout').drivenBy).toEqual(LOCK);
    const free = setup([]);
    expect(free.flag('production', 'new-checkout').drivenBy).toBeUndefined();
    expect(free.setFlag('production', 'new-checkout', { percent: 2 }, 'alice').flag.definition.split).toEqual({ on: 2 });
    expect(free.apply([sampleFlagSet('checkout', 'production', 10)], 'bob')[0].warnings).toBeUndefined();
  });
});

describe('a kill switch: the latest switch on or off, by someone else, since the rollout started', () => {
  const ev = (actor: string, time: number, before: boolean, after: boolean): StoredFlagEvent =>
    ({ seq: time, environment: 'production', type: 'flag-updated', flag: 'new-checkout', message: '', actor, time, data: { before: { enabled: before }, after: { enabled: after } } });
  it.each([
    ['off by hand during the rollout', [ev('alice', 600, true, false)], true],
    ['off by hand before the rollout started', [ev('alice', 400, true, false)], false],
    ['off, then on again by hand', [ev('alice', 600, true, false), ev('alice', 700, false, true)], false],
    ['off by the rollout itself', [ev('rollout/checkout', 600, true, false)], false],
    ['split changes after the kill do not hide it', [ev('alice', 600, true, false), ev('rollout/checkout', 700, false, false)], true],
    ['no history', [], false],
    ['created off during the rollout', [{ ...ev('alice', 600, true, false), type: 'flag-created' as const, data: { after: { enabled: false } } }], false],
  ])('%s', (_, history, expected) => {
    expect(isKillSwitch(lastSwitch(history), 'checkout', 500)).toBe(expected);
  });
});
