import { describe, expect, it } from 'vitest';
import { TrackingBuffer } from '../openfeature/tracking-buffer.js';
import { parseBatch } from '../server/flags-tracking-routes.js';
import { parseRolloutDocuments } from '../spec/parse-rollout.js';
import { formatSpecError } from '../spec/spec-error.js';
import { GuardedFlagCounters } from './guarded-counters.js';
import { TrackingAggregator } from './tracking.js';

describe('tracking, client to judge', () => {
  it('buffers per variant, survives a failed send, and sums into canary vs the rest', () => {
    const buf = new TrackingBuffer();
    for (let i = 0; i < 10; i++) buf.record('f', 'on', i < 3, 100);
    for (let i = 0; i < 30; i++) buf.record('f', 'off', i < 1, 10);
    buf.record('f', 'blue', false, undefined);
    const first = buf.take();
    expect(buf.pending).toBe(0);
    buf.restore(first); // the send failed
    buf.record('f', 'on', true, 100);
    const batch = parseBatch(JSON.parse(JSON.stringify({ outcomes: buf.take() })));
    const agg = new TrackingAggregator({ now: () => 42 });
    for (const o of batch) agg.add('prod', o);
    const counters = new GuardedFlagCounters(agg, (s) => (s === 'r' ? { environment: 'prod', key: 'f', variant: 'on' } : undefined));
    const snap = counters.snapshot('r')!;
    expect(snap.at).toBe(42);
    expect(snap.canary).toMatchObject({ requests: 11, errors: 4 });
    expect(snap.canary.latency.count).toBe(11);
    expect(snap.stable).toMatchObject({ requests: 31, errors: 1 });
    expect(snap.stable.latency.count).toBe(30);
    expect(counters.snapshot('not-a-flag-rollout')).toBeUndefined();
  });

  it('a flag nobody reported on yet has zero counts, not none', () => {
    const counters = new GuardedFlagCounters(new TrackingAggregator(), () => ({ environment: 'prod', key: 'g', variant: 'on' }));
    expect(counters.snapshot('r')?.canary.requests).toBe(0);
  });

  it.each([
    [{}, /send \{"outcomes"/],
    [{ outcomes: [{ flag: 'f', variant: 'on', requests: 1, errors: 2 }] }, /outcomes\[0\]\.errors \(2\) must not exceed requests/],
    [{ outcomes: [{ flag: 'f', variant: 'on', requests: -1, errors: 0 }] }, /outcomes\[0\]\.requests must be a whole number/],
    [{ outcomes: [{ flag: '', variant: 'on', requests: 1, errors: 0 }] }, /outcomes\[0\]\.flag/],
    [{ outcomes: [{ flag: 'f', variant: 'on', requests: 1, errors: 0, latency: { count: 2, sum: 1, buckets: [[1, 2]] } }] }, /latency is not a latency histogram: it holds 2 values for 1 requests/],
  ])('refuses a bad batch %j', (body, message) => {
    expect(() => parseBatch(body)).toThrow(message);
  });
});

describe('spec.flag', () => {
  const doc = (spec: string) => `apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: { name: f }\nspec:\n${spec}`;
  const STRATEGY = '  strategy: { canary: { steps: [{ setWeight: 1 }, { pause: { duration: 1m } }, { setWeight: 5 }] } }\n';

  it('normalises to a flag service and keeps the target', () => {
    const { rollouts, errors } = parseRolloutDocuments(doc(`  flag: { environment: production, key: new-checkout }\n${STRATEGY}`), 'f.yaml');
    expect(errors).toEqual([]);
    expect(rollouts[0].spec.flag).toEqual({ environment: 'production', key: 'new-checkout', variant: 'on' });
    expect(rollouts[0].spec.service).toEqual({ listen: 'flag:production/new-checkout', stable: { upstreams: ['new-checkout!=on'] }, canary: { upstreams: ['new-checkout=on'] } });
  });

  it.each([
    [STRATEGY, /^f\.yaml:\d+:\d+: spec\.service: missing required field \(or "flag" for a guarded flag rollout\)$/m],
    [`  flag: { environment: production, key: k }\n  strategy: { canary: { steps: [{ setWeight: 5 }], mirror: { percent: 5 } } }\n`, /^f\.yaml:6:\d+: spec\.strategy\.canary\.mirror: does not apply to a flag rollout/m],
    [`  flag: { environment: Production, key: k }\n${STRATEGY}`, /spec\.flag\.environment/],
  ])('refuses %j with a position', (spec, message) => {
    const { errors } = parseRolloutDocuments(doc(spec), 'f.yaml');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map(formatSpecError).join('\n')).toMatch(message);
  });
});
