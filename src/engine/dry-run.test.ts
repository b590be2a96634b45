import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../analysis/types.js';
import type { RolloutSpec } from '../spec/types.js';
import { initialState, step } from './index.js';

/** Dry-run metrics in the engine: recorded with the check, never quoted as what decided it. */

const SPEC: RolloutSpec = {
  service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://s:1'] }, canary: { upstreams: ['http://c:1'] } },
  steps: [{ setWeight: 20 }, { pause: { duration: 600_000 } }],
  analysis: { interval: 10_000, failureLimit: 0, inconclusiveLimit: 0, minRequests: 10, metrics: [{ name: 'success-rate', min: 99 }] },
  onFailure: 'rollback',
  onInconclusive: 'rollback',
};

function result(from: number, to: number, verdict: 'fail' | 'inconclusive'): CheckResult {
  return {
    verdict,
    from,
    to,
    canary: { requests: 100, errors: 30 },
    stable: { requests: 400, errors: 0 },
    metrics: [
      { name: 'dry', verdict, dryRun: true, samples: 100, reason: 'dry reason' },
      { name: 'real', verdict, samples: 100, reason: 'real reason' },
    ],
    summary: `${verdict}: real reason; dry-run ${verdict} (ignored): dry reason — canary 100 requests, stable 400 requests`,
  };
}

describe('dry-run metrics in rollback messages', () => {
  it.each([
    ['fail', 'rolled back: real reason'],
    ['inconclusive', 'rolled back: 1 inconclusive checks in a row (0 tolerated): real reason'],
  ] as const)('a %s check names only the metric that counted', (verdict, message) => {
    let r = initialState('web', 1, SPEC, 0);
    r = step(r.state, { type: 'tick' }, 10_000);
    const run = r.actions.find((a) => a.type === 'runCheck');
    if (!run || run.type !== 'runCheck') throw new Error('no check due');
    r = step(r.state, { type: 'check', result: result(run.from, run.to, verdict) }, 10_000);
    expect(r.state.phase).toBe('rolled-back');
    expect(r.state.message).toBe(message);
    const check = r.actions.find((a) => a.type === 'event' && a.event.type === 'check');
    expect(check?.type === 'event' && (check.event.data as { metrics: Array<{ dryRun?: boolean }> }).metrics[0].dryRun).toBe(true);
  });
});
