import { describe, expect, it } from 'vitest';
import { initialState, step } from '../engine/index.js';
import { parseRolloutDocuments } from './parse-rollout.js';
import { formatSpecError } from './spec-error.js';

/** strategy.blueGreen: parsed into a preview match rule, steps at weight 0, and the post-promotion window. */

const HEAD = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
`;

function parse(tail: string) {
  const { rollouts, errors } = parseRolloutDocuments(HEAD + tail, 'r.yaml');
  return { rollout: rollouts[0], errors: errors.map(formatSpecError) };
}

describe('strategy.blueGreen', () => {
  it('normalises into a preview rule, the pre-promotion checks, the timer and the window', () => {
    const { rollout, errors } = parse(`  strategy:
    blueGreen:
      previewHeader: {name: X-Preview, value: "1"}
      autoPromotionSeconds: 120
      prePromotionAnalysis: {checks: 3}
      postPromotionAnalysis: {duration: 5m}
  analysis:
    metrics: [{name: success-rate, min: 99}]
`);
    expect(errors).toEqual([]);
    expect(rollout!.spec).toMatchObject({
      steps: [{ analysis: { checks: 3 } }, { pause: { duration: 120_000 } }],
      match: [{ headers: { 'x-preview': { exact: '1' } } }],
      blueGreen: { previewHeader: { name: 'x-preview', value: '1' } },
      postPromotion: { duration: 300_000 },
    });
  });

  it('without a timer the promotion is a manual gate, and the engine carries the preview from the start', () => {
    const { rollout, errors } = parse(`  strategy:
    blueGreen:
      previewHeader: {name: x-preview, value: yes}
`);
    expect(errors).toEqual([]);
    const start = initialState('checkout', 1, rollout!.spec, 0);
    expect(start.state).toMatchObject({ phase: 'paused', pauseReason: 'gate', canaryWeight: 0 });
    expect(start.state.routes.match).toEqual([{ headers: { 'x-preview': { exact: 'yes' } } }]);
    const switched = step(start.state, { type: 'promote', full: false, actor: 'alice' }, 1000);
    expect(switched.state.phase).toBe('promoted');
    expect(switched.state.routes).toEqual({ listen: '127.0.0.1:8080', stable: ['http://127.0.0.1:9002'], canary: [], canaryWeight: 0 });
  });

  it('reports a second strategy, a missing header and pre-promotion analysis without spec.analysis', () => {
    const { errors } = parse(`  strategy:
    canary: {steps: [{setWeight: 10}]}
    blueGreen:
      previewHeader: {name: x-preview}
      prePromotionAnalysis: {checks: 2}
`);
    expect(errors).toEqual([
      'r.yaml:11:5: spec.strategy.blueGreen: cannot be used together with "canary"; choose one strategy',
      'r.yaml:12:22: spec.strategy.blueGreen.previewHeader.value: missing required field (the value it must have)',
      'r.yaml:13:7: spec.strategy.blueGreen.prePromotionAnalysis: needs an analysis section (spec.analysis) to judge the preview traffic; add one',
    ]);
  });
});

describe('strategy.blueGreen.previewListen', () => {
  it('puts the preview on an address of its own, carried in the routes until the switch', () => {
    const { rollout, errors } = parse(`  strategy:
    blueGreen: {previewListen: 127.0.0.1:8081}
`);
    expect(errors).toEqual([]);
    expect(rollout!.spec.blueGreen).toEqual({ previewListen: '127.0.0.1:8081' });
    expect(rollout!.spec.match).toBeUndefined();
    const start = initialState('checkout', 1, rollout!.spec, 0);
    expect(start.state.routes).toMatchObject({ canaryWeight: 0, preview: { listen: '127.0.0.1:8081' } });
    expect(start.state.message).toContain('0% canary (preview on 127.0.0.1:8081)');
    const aborted = step(start.state, { type: 'abort', actor: 'alice' }, 10);
    expect(aborted.state.routes.preview).toBeUndefined();
    const promoted = step(start.state, { type: 'promote', full: false, actor: 'alice' }, 10);
    expect(promoted.state.routes.preview).toBeUndefined();
  });

  it('needs exactly one way to reach the preview, on an address other than the service', () => {
    expect(parse(`  strategy:\n    blueGreen: {autoPromotionSeconds: 5}\n`).errors).toEqual([
      'r.yaml:10:16: spec.strategy.blueGreen: needs "previewHeader" (requests with a header reach the new version) or "previewListen" (an address of its own for the preview)',
    ]);
    expect(parse(`  strategy:\n    blueGreen: {previewListen: 127.0.0.1:8081, previewHeader: {name: x, value: y}}\n`).errors).toEqual([
      'r.yaml:10:17: spec.strategy.blueGreen.previewListen: cannot be used together with "previewHeader"; choose one way to reach the preview',
    ]);
    expect(parse(`  strategy:\n    blueGreen: {previewListen: 127.0.0.1:8080}\n`).errors).toEqual([
      'r.yaml:10:32: spec.strategy.blueGreen.previewListen: is also spec.service.listen (127.0.0.1:8080); the preview needs an address of its own',
    ]);
  });
});
