import { describe, expect, it } from 'vitest';
import type { NotificationSpec, NotifyEvent } from '../spec/lifecycle-types.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';
import type { Input, Notification, StepResult } from './index.js';
import { initialState, step } from './index.js';

/** Which decisions become notifications, derived from the events in one place. */

const ALL: NotifyEvent[] = ['started', 'step', 'paused', 'promoted', 'rolled-back', 'aborted', 'failed'];

function spec(steps: CanaryStep[], on: NotifyEvent[] = ALL, extra: Partial<RolloutSpec> = {}): RolloutSpec {
  const target: NotificationSpec = { name: 'chat', type: 'slack', url: 'https://hooks.slack.test/x', on, timeout: 5000 };
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://s:1'] }, canary: { upstreams: ['http://c:1'] } },
    steps,
    onFailure: 'rollback',
    onInconclusive: 'pause',
    notifications: [target],
    ...extra,
  };
}

const notified = (r: StepResult): Notification[] => r.actions.flatMap((a) => (a.type === 'notify' ? [a.notification] : []));

function run(s: RolloutSpec, inputs: Array<[number, Input]>): StepResult {
  let r = initialState('web', 2, s, 0);
  for (const [now, input] of inputs) r = step(r.state, input, now);
  return r;
}

const GATED: CanaryStep[] = [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 1000 } }];

describe('notifications', () => {
  const cases: Array<{ name: string; spec: RolloutSpec; inputs: Array<[number, Input]>; want: Array<Partial<Notification>> }> = [
    {
      name: 'a start tells started, the first weight, and the manual gate with what an approval needs',
      spec: spec(GATED),
      inputs: [],
      want: [
        { event: 'started', revision: 2 },
        // The event data numbers the step as the notification does: step 1-based, stepIndex 0-based.
        { event: 'step', canaryWeight: 20, step: 1, stepIndex: 0, steps: 4, data: { from: 0, to: 20, step: 1, stepIndex: 0, steps: 4, canaryWeight: 20 } },
        { event: 'paused', phase: 'paused', step: 2, stepIndex: 1, approve: { startedAt: 0, stepIndex: 1 }, data: { reason: 'gate', step: 2, stepIndex: 1, steps: 4, canaryWeight: 20 } },
      ],
    },
    {
      name: 'only the events a target asks for',
      spec: spec(GATED, ['paused']),
      inputs: [],
      want: [{ event: 'paused' }],
    },
    {
      name: 'a promote past the gate tells the next weight; the end tells promoted',
      spec: spec(GATED),
      inputs: [[500, { type: 'promote', full: false, actor: 'alice' }], [1500, { type: 'tick' }]],
      want: [{ event: 'promoted', phase: 'promoted' }],
    },
    {
      name: 'an abort names who',
      spec: spec(GATED),
      inputs: [[500, { type: 'abort', actor: 'bob', reason: 'wrong build' }]],
      want: [{ event: 'aborted', actor: 'bob', canaryWeight: 0 }],
    },
    {
      name: 'a rollback by a hook is a failure of the process, not a verdict on the canary',
      spec: spec(GATED, ALL, { hooks: [{ name: 'migrate', type: 'pre-rollout', url: 'http://h/', timeout: 1000, retries: 0 }] }),
      inputs: [[100, { type: 'hook', result: { id: '0.1', ok: false, status: 500, message: 'answered 500', attempts: 1, durationMs: 1 } }]],
      want: [{ event: 'failed', phase: 'rolled-back', data: expect.objectContaining({ cause: 'hook', hook: 'migrate' }) }],
    },
    {
      name: 'no notifications configured: no notify actions',
      spec: { ...spec(GATED), notifications: undefined },
      inputs: [],
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = notified(run(c.spec, c.inputs));
      expect(got).toHaveLength(c.want.length);
      c.want.forEach((w, i) => expect(got[i]).toMatchObject(w));
    });
  }

  it('the promote step in between notifies the new weight', () => {
    const r = run(spec(GATED), [[500, { type: 'promote', full: false, actor: 'alice' }]]);
    expect(notified(r).map((n) => [n.event, n.canaryWeight])).toEqual([['step', 50]]);
  });
});
