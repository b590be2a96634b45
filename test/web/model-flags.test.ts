import { describe, expect, it } from 'vitest';
import { Model, type ModelChange } from '../../web/src/model.js';
import type { FlagStreamEvent, FlagSummary } from '../../web/src/types.js';

const flag = (key: string, updatedAt: number, extra: Partial<FlagSummary> = {}): FlagSummary => ({
  environment: 'production', key, flagSet: 'shop', type: 'boolean', enabled: true, defaultVariant: 'off', offVariant: 'off', variants: ['on', 'off'], rules: 0, updatedAt, updatedBy: 'setup', ...extra,
});
const streamed = (e: Partial<FlagStreamEvent>) => ({ event: 'flag', data: JSON.stringify({ environment: 'production', revision: 1, actor: 'admin', time: 0, flags: [], removed: [], ...e }) });
const keys = (m: Model, env = 'production') => [...(m.flags.get(env)?.keys() ?? [])].sort();

/** The dashboard's model of flags: a load of GET /flags on each (re)connect, kept current by `event: flag`. */
describe('dashboard model: flags', () => {
  it('applies streamed changes and removals, and tells subscribers which keys changed and who changed them', () => {
    const m = new Model();
    const seen: ModelChange[] = [];
    m.subscribe((c) => seen.push(c));
    m.receive(streamed({ flags: [flag('a', 10), flag('b', 10)] }));
    m.receive(streamed({ flags: [flag('a', 20, { enabled: false, updatedBy: 'admin' })], removed: ['b'] }));
    expect(keys(m)).toEqual(['a']);
    expect(m.flags.get('production')!.get('a')).toMatchObject({ enabled: false, updatedBy: 'admin' });
    expect(seen.at(-1)).toEqual({ kind: 'flags', environment: 'production', keys: ['a', 'b'], by: 'admin' });
    expect(m.environments()).toEqual(['production']);
    m.receive({ event: 'flag', data: 'not json' });
    expect(seen.length).toBe(2);
  });

  it('keeps what the stream said during a load over the load\'s possibly older answer, and drops what the load no longer has', () => {
    const m = new Model();
    let token = m.beginFlagLoad();
    m.finishFlagLoad(token, [flag('old', 1), flag('kept', 1)]);
    expect(m.flagsLoaded).toBe(true);

    token = m.beginFlagLoad();
    // While the request is out: one flag is created, one deleted, one changed.
    m.receive(streamed({ flags: [flag('new', 5), flag('kept', 5, { enabled: false })], removed: ['old'] }));
    // The answer was computed before those changes.
    m.finishFlagLoad(token, [flag('old', 1), flag('kept', 1), flag('other', 1)]);
    expect(keys(m)).toEqual(['kept', 'new', 'other']);
    expect(m.flags.get('production')!.get('kept')!.enabled).toBe(false);

    // A later load is the truth again.
    token = m.beginFlagLoad();
    m.finishFlagLoad(token, [flag('kept', 6)]);
    expect(keys(m)).toEqual(['kept']);
  });

  it('ignores a superseded load, and reports a failed one without forgetting the flags', () => {
    const m = new Model();
    const first = m.beginFlagLoad();
    const second = m.beginFlagLoad();
    m.finishFlagLoad(first, [flag('stale', 1)]);
    expect(m.flagsLoaded).toBe(false);
    m.finishFlagLoad(second, [flag('fresh', 2)]);
    expect(keys(m)).toEqual(['fresh']);
    const third = m.beginFlagLoad();
    m.failFlagLoad(third, 'cannot reach the Sluice server');
    expect(m.flagsError).toBe('cannot reach the Sluice server');
    expect(keys(m)).toEqual(['fresh']);
  });

  it('moves the "last change" of a flag\'s set-mates with it, as GET /flags would show them', () => {
    const m = new Model();
    const token = m.beginFlagLoad();
    m.finishFlagLoad(token, [flag('a', 1), flag('b', 1), flag('c', 1, { flagSet: 'other' })]);
    m.receive(streamed({ flags: [flag('a', 9, { updatedBy: 'admin' })] }));
    expect([...m.flags.get('production')!.values()].map((f) => [f.key, f.updatedAt, f.updatedBy])).toEqual([['a', 9, 'admin'], ['b', 9, 'admin'], ['c', 1, 'setup']]);
  });
});
