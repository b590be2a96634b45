import { describe, expect, it } from 'vitest';
import type { AnalysisSpec, CanaryStep, JudgeSpec, RolloutSpec } from '../../spec/types.js';
import { stageWarnings } from './advice.js';
import { rolloutStages } from './stages.js';
import { analyseStage } from './step-analysis.js';
import type { StageFlag } from './types.js';

const CHECKS: AnalysisSpec = { interval: 10_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 50, metrics: [{ name: 'success-rate', min: 99 }] };
const JUDGE: JudgeSpec = { alpha: 0.01, minEffect: 1, tolerance: 0, minStepEvents: 10, maxWait: 300_000 };
const JUDGED: AnalysisSpec = { ...CHECKS, interval: 60_000, minRequests: 1, metrics: [], judge: JUDGE };

function spec(steps: CanaryStep[], analysis: AnalysisSpec): RolloutSpec {
  return {
    service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
    steps,
    analysis,
    onFailure: 'rollback',
    onInconclusive: 'pause',
  };
}

const pause = (seconds: number): CanaryStep => ({ pause: { duration: seconds * 1000 } });
const traffic = (rps: number, regression = 10) => ({ rps, errorRate: 0.005, regression, power: 0.95 });

describe('analyseStage', () => {
  it.each<[string, RolloutSpec, ReturnType<typeof traffic>, StageFlag[], 'thresholds' | 'judge' | undefined]>([
    ['checks, long step, gross regression', spec([{ setWeight: 20 }, pause(300)], CHECKS), traffic(200), [], 'thresholds'],
    ['checks, 10 s step', spec([{ setWeight: 20 }, pause(10)], CHECKS), traffic(200), ['too-short'], 'thresholds'],
    ['checks, 2 rps', spec([{ setWeight: 20 }, pause(300)], CHECKS), traffic(2), ['too-low-traffic'], undefined],
    ['checks blind to a 1.5× regression within 99%', spec([{ setWeight: 20 }, pause(300)], { ...CHECKS, interval: 600_000, failureLimit: 30 }), traffic(200, 1.5), ['undetectable'], undefined],
    ['judge, long step, gross regression', spec([{ setWeight: 20 }, pause(300)], JUDGED), traffic(200), [], 'judge'],
    ['judge, 1m step, 2× regression', spec([{ setWeight: 20 }, pause(60)], JUDGED), traffic(200, 2), ['too-short'], 'judge'],
    ['judge, 5 s step held ~10 s for minStepEvents, 10× regression', spec([{ setWeight: 20 }, pause(5)], JUDGED), traffic(200), [], 'judge'],
    ['judge, 0.2 rps: too few errors for minStepEvents', spec([{ setWeight: 20 }, pause(60)], JUDGED), traffic(0.2), ['too-low-traffic'], 'judge'],
  ])('%s', (_name, s, inputs, flags, by) => {
    const [stage] = rolloutStages(s);
    const plan = analyseStage(s, stage, inputs);
    expect(plan.flags).toEqual(flags);
    expect(plan.needed?.by).toBe(by);
    expect(plan.canaryRequests).toBeCloseTo(inputs.rps * (stage.weight / 100) * plan.seconds, 9);
    expect(plan.canaryErrors.regressed).toBeCloseTo(plan.canaryRequests * 0.005 * inputs.regression, 9);
  });

  it('a judged stage lasts until minStepEvents errors are expected, at most maxWait past its pauses', () => {
    const s = spec([{ setWeight: 20 }, pause(30)], JUDGED);
    const [stage] = rolloutStages(s);
    expect(analyseStage(s, stage, traffic(200)).seconds).toBe(30); // 1 error a second: 10 in 10 s
    expect(analyseStage(s, stage, traffic(1)).seconds).toBe(330); // 10 errors would take 2000 s: capped at 30 s + 5m
  });

  it('takes the sooner of the judge and the threshold checks', () => {
    const s = spec([{ setWeight: 20 }, pause(600)], { ...CHECKS, judge: JUDGE });
    const plan = analyseStage(s, rolloutStages(s)[0], traffic(200, 2));
    expect(plan.thresholds?.seconds).toBeDefined();
    expect(plan.judge?.seconds).toBeDefined();
    expect(plan.needed?.seconds).toBe(Math.min(plan.thresholds!.seconds!, plan.judge!.seconds!));
  });
});

describe('stage warnings', () => {
  it('a too-short step says how long detection needs and which weight would do within the step', () => {
    const s = spec([{ setWeight: 5 }, pause(60), { setWeight: 50 }, pause(600)], JUDGED);
    const plans = rolloutStages(s).map((st) => analyseStage(s, st, traffic(200, 3)));
    const warnings = stageWarnings(s, plans, traffic(200, 3));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ stages: [1], flag: 'too-short' });
    const needed = plans[0].needed!.seconds;
    expect(warnings[0].message).toMatch(/^steps 1–2 \(5%\): too short: detecting a 3× regression with 95% power needs ~\S+ at this weight by the judge/);
    expect(warnings[0].message).toMatch(/raise the step to at least \S+, or the weight to \d+%$/);
    expect(needed).toBeGreaterThan(60);
  });

  it('too little traffic for the checks says how many requests a check sees and what to raise', () => {
    const s = spec([{ setWeight: 10 }, pause(120)], CHECKS);
    const plans = rolloutStages(s).map((st) => analyseStage(s, st, traffic(10)));
    const [w] = stageWarnings(s, plans, traffic(10));
    expect(w.flag).toBe('too-low-traffic');
    expect(w.message).toBe(
      'steps 1–2 (10%): traffic too low to ever decide at this weight: ~10 canary requests per 10s check, fewer than minRequests 50, ' +
        'so checks are inconclusive and the rollout pauses after 4 of them; raise the weight to at least 50%, ' +
        'raise analysis.interval to at least 50s or lower minRequests to 10',
    );
  });

  it('a manual gate says how long to wait before promoting', () => {
    const s = spec([{ setWeight: 20 }, { pause: {} }], CHECKS);
    const plans = rolloutStages(s).map((st) => analyseStage(s, st, traffic(200)));
    expect(stageWarnings(s, plans, traffic(200))).toEqual([
      { stages: [1], flag: 'gate', message: expect.stringMatching(/^steps 1–2 \(20%\) waits for a person: promote no sooner than ~\S+ after the weight change/) },
    ]);
  });

  it('stages that need the same change share one warning', () => {
    const s = spec([10, 20, 40].flatMap((w): CanaryStep[] => [{ setWeight: w }, pause(60)]), JUDGED);
    const plans = rolloutStages(s).map((st) => analyseStage(s, st, traffic(0.5)));
    expect(plans.map((p) => p.flags)).toEqual([['too-low-traffic'], ['too-low-traffic'], ['too-low-traffic']]);
    const warnings = stageWarnings(s, plans, traffic(0.5));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].stages).toEqual([1, 2, 3]);
    expect(warnings[0].message).toMatch(/^steps 1–2, 3–4, 5–6 \(10\/20\/40%\): traffic too low to ever decide at this weight: ~0\.9 errors expected/);
  });
});
