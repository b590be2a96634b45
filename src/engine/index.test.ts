import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../spec/types.js';
import type { Phase, RolloutState } from './index.js';
import { formatDuration, initialState, isTerminal, progress, step, transitions } from './index.js';

const SPEC: RolloutSpec = {
  service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://s:1'] }, canary: { upstreams: ['http://c:1'] } },
  steps: [{ setWeight: 10 }, { pause: { duration: 60_000 } }, { setWeight: 50 }, { pause: {} }],
  onFailure: 'rollback',
  onInconclusive: 'pause',
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [3_600_000, '1h'],
  ])('%i ms reads "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('isTerminal', () => {
  it.each<[Phase, boolean]>([
    ['progressing', false],
    ['paused', false],
    ['promoted', true],
    ['rolled-back', true],
    ['aborted', true],
  ])('%s → %s', (phase, terminal) => {
    expect(isTerminal(phase)).toBe(terminal);
  });
});

describe('progress', () => {
  const at = (patch: Partial<RolloutState>): RolloutState => ({ ...initialState('web', 1, SPEC, 0).state, ...patch });
  it.each<[string, Partial<RolloutState>, { step: number; steps: number; percent: number }]>([
    ['waiting in step 2 of 4', { stepIndex: 1 }, { step: 2, steps: 4, percent: 25 }],
    ['at the gate, step 4', { stepIndex: 3, phase: 'paused' }, { step: 4, steps: 4, percent: 75 }],
    ['past the last step, waiting for a check (100% is for promoted only)', { stepIndex: 4 }, { step: 4, steps: 4, percent: 99 }],
    ['rolled back after the last step', { stepIndex: 4, phase: 'rolled-back' }, { step: 4, steps: 4, percent: 99 }],
    ['promoted', { stepIndex: 4, phase: 'promoted' }, { step: 4, steps: 4, percent: 100 }],
    ['rolled back in step 2', { stepIndex: 1, phase: 'rolled-back' }, { step: 2, steps: 4, percent: 25 }],
  ])('%s', (_name, patch, want) => {
    expect(progress(at(patch))).toEqual(want);
  });

  it('handles a rollout without steps', () => {
    const { state } = initialState('web', 1, { ...SPEC, steps: [] }, 0);
    expect(progress(state)).toEqual({ step: 0, steps: 0, percent: 100 });
  });
});

describe('step', () => {
  it('never modifies the state it is given (frozen input, every kind of input)', () => {
    const start = deepFreeze(initialState('web', 1, SPEC, 0).state);
    for (const input of [
      { type: 'tick' } as const,
      { type: 'promote', full: false, actor: 'a' } as const,
      { type: 'promote', full: true, actor: 'a' } as const,
      { type: 'pause', actor: 'a' } as const,
      { type: 'abort', actor: 'a' } as const,
    ]) {
      const result = step(start, input, 70_000);
      expect(result.rejected).toBeUndefined();
      expect(result.state).not.toBe(start);
    }
  });

  it('has a table entry for every phase, and terminal phases accept nothing but retry, post-rollout hook results and undo', () => {
    expect(Object.keys(transitions).sort()).toEqual(['aborted', 'paused', 'progressing', 'promoted', 'rolled-back']);
    for (const phase of ['promoted', 'rolled-back', 'aborted'] as const) {
      expect(Object.keys(transitions[phase]).filter((k) => k !== 'retry' && k !== 'hook' && k !== 'undo')).toEqual([]);
    }
  });

  it('the started event comes first, then the initial routes, then the first step', () => {
    const { actions } = initialState('web', 7, SPEC, 1000);
    expect(actions.map((a) => (a.type === 'event' ? a.event.type : a.type))).toEqual([
      'started', 'setRoutes', 'setRoutes', 'weight-changed', 'step-advanced',
    ]);
    expect(actions[0]).toMatchObject({ event: { message: 'started revision 7 of web: 4 steps, no analysis' } });
  });
});
