import { describe, expect, it } from 'vitest';
import type { AnalysisSpec, CanaryStep, RolloutSpec } from '../../spec/types.js';
import { rolloutStages, stageLabel } from './stages.js';

const ANALYSIS: AnalysisSpec = { interval: 10_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 50, metrics: [{ name: 'success-rate', min: 99 }] };

function spec(steps: CanaryStep[], analysis: AnalysisSpec | null = ANALYSIS): RolloutSpec {
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
    steps,
    ...(analysis === null ? {} : { analysis }),
    onFailure: 'rollback',
    onInconclusive: 'pause',
  };
}

describe('rolloutStages', () => {
  it.each([
    [
      'setWeight then pause',
      spec([{ setWeight: 10 }, { pause: { duration: 60_000 } }]),
      [{ steps: [1, 2], weight: 10, pauseSeconds: 60, checks: 0, gate: false, minSeconds: 60, waits: [60] }],
    ],
    [
      'analysis checks take one interval each',
      spec([{ setWeight: 10 }, { analysis: { checks: 3 } }, { setWeight: 50 }, { pause: { duration: 30_000 } }, { analysis: { checks: 1 } }]),
      [
        { steps: [1, 2], weight: 10, pauseSeconds: 0, checks: 3, gate: false, minSeconds: 30, waits: [30] },
        { steps: [3, 4, 5], weight: 50, pauseSeconds: 30, checks: 1, gate: false, minSeconds: 40, waits: [30, 10] },
      ],
    ],
    [
      'without analysis, analysis steps pass at once',
      spec([{ setWeight: 20 }, { analysis: { checks: 3 } }, { pause: { duration: 5_000 } }], null),
      [{ steps: [1, 2, 3], weight: 20, pauseSeconds: 5, checks: 3, gate: false, minSeconds: 5, waits: [0, 5] }],
    ],
    [
      'a manual gate waits for a person and adds no time',
      spec([{ setWeight: 20 }, { pause: { duration: 300_000 } }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 300_000 } }], null),
      [
        { steps: [1, 2, 3], weight: 20, pauseSeconds: 300, checks: 0, gate: true, minSeconds: 300, waits: [300] },
        { steps: [4, 5], weight: 50, pauseSeconds: 300, checks: 0, gate: false, minSeconds: 300, waits: [300] },
      ],
    ],
    [
      'waits before the first setWeight form a stage at 0%; a repeated weight stays in its stage',
      spec([{ pause: { duration: 10_000 } }, { setWeight: 30 }, { setWeight: 30 }, { pause: { duration: 20_000 } }]),
      [
        { steps: [1], weight: 0, pauseSeconds: 10, checks: 0, gate: false, minSeconds: 10, waits: [10] },
        { steps: [2, 3, 4], weight: 30, pauseSeconds: 20, checks: 0, gate: false, minSeconds: 20, waits: [20] },
      ],
    ],
    [
      'a judge alone runs no threshold checks: analysis steps take no time',
      spec([{ setWeight: 10 }, { analysis: { checks: 3 } }, { pause: { duration: 20_000 } }], { ...ANALYSIS, metrics: [], judge: { alpha: 0.01, minEffect: 1, tolerance: 0, minStepEvents: 10, maxWait: 300_000 } }),
      [{ steps: [1, 2, 3], weight: 10, pauseSeconds: 20, checks: 3, gate: false, minSeconds: 20, waits: [0, 20] }],
    ],
    [
      'a step straight to another weight is a stage of no time',
      spec([{ setWeight: 10 }, { setWeight: 20 }, { pause: { duration: 1_000 } }]),
      [
        { steps: [1], weight: 10, pauseSeconds: 0, checks: 0, gate: false, minSeconds: 0, waits: [] },
        { steps: [2, 3], weight: 20, pauseSeconds: 1, checks: 0, gate: false, minSeconds: 1, waits: [1] },
      ],
    ],
  ])('%s', (_name, s, expected) => {
    expect(rolloutStages(s)).toEqual(expected);
  });

  it('labels stages by the spec steps they cover', () => {
    expect(rolloutStages(spec([{ setWeight: 10 }, { setWeight: 20 }, { pause: { duration: 1_000 } }, { analysis: { checks: 1 } }])).map(stageLabel))
      .toEqual(['step 1', 'steps 2–4']);
    expect(stageLabel({ steps: [], weight: 0, pauseSeconds: 0, checks: 0, gate: false, minSeconds: 0, waits: [] })).toBe('before step 1');
  });
});
