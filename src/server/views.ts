import type { VersionWindow } from '../analysis/types.js';
import { progress } from '../engine/index.js';
import type { RolloutState } from '../engine/types.js';
import type { Rollout } from '../spec/types.js';
import type { RolloutRecord } from '../store/store.js';
import type { LiveView, VersionLive } from './live-types.js';

/** Recent per-version traffic for a service (rates over the last few seconds). */
export interface LiveStats {
  (service: string): LiveView | undefined;
}

export type { LiveView, VersionLive } from './live-types.js';

/** Rates over a measured window; shared by the API view and the CLI. */
export function liveFromWindow(w: { from: number; to: number; canary: VersionWindow; stable: VersionWindow }): LiveView {
  // Under a second of data (just after a start) would give wild rates.
  const seconds = Math.max((w.to - w.from) / 1000, 1);
  const one = (v: VersionWindow): VersionLive => ({
    rps: round(v.requests / seconds, 1),
    errorRate: v.requests ? round((100 * v.errors) / v.requests, 2) : 0,
    p99: v.p99 === undefined ? undefined : round(v.p99, 1),
    requests: v.requests,
  });
  return { windowSeconds: round(seconds, 1), stable: one(w.stable), canary: one(w.canary) };
}

/** What the API returns for one rollout: the record flattened for readers, with live traffic. */
export function rolloutView(record: RolloutRecord, live?: LiveView) {
  const s = record.state;
  const p = progress(s);
  return {
    name: record.name,
    revision: s.revision,
    phase: s.phase,
    pauseReason: s.pauseReason,
    message: s.message,
    step: { index: s.stepIndex, total: s.spec.steps.length, current: s.spec.steps[s.stepIndex], percent: p.percent },
    canaryWeight: s.canaryWeight,
    routes: s.routes,
    routesConfirmed: JSON.stringify(record.confirmedRoutes) === JSON.stringify(s.routes),
    analysis: s.analysis,
    lastCheck: s.lastCheck,
    judge: s.judge
      ? {
          passed: s.judge.passed,
          stepEvents: s.judge.stepEvents,
          errors: s.judge.last?.errors,
          latency: s.judge.last?.latency,
          latencyThresholdMs: s.judge.latency?.thresholdMs,
        }
      : undefined,
    /** Hooks: where the walk is held and which runs are outstanding (the message says it in words). */
    hooks: s.hooks ? { holding: s.hooks.holding, runs: s.hooks.runs.map((r) => ({ hook: r.hook, phase: r.phase, running: r.running, polls: r.polls, last: r.last })) } : undefined,
    /** Set while hooks hold the walk (a closed gate, pre-rollout or rollout hooks not passed yet): which, since when, their latest answers. */
    heldBy: heldBy(s),
    postPromotion: s.postPromotion ? { since: iso(s.postPromotion.since), until: iso(s.postPromotion.until) } : undefined,
    live,
    startedAt: iso(s.startedAt),
    finishedAt: s.finishedAt === undefined ? undefined : iso(s.finishedAt),
    updatedAt: iso(record.updatedAt),
    rollout: asShown(record.rollout),
  };
}

/**
 * The normalised rollout as readers should see it: a guarded flag rollout's
 * `spec.service` (listen `flag:ENV/KEY`, upstreams `KEY=VARIANT`) is only the
 * engine's encoding of its `spec.flag`, which is what its author wrote.
 */
function asShown(rollout: Rollout): Omit<Rollout, 'spec'> & { spec: Omit<Rollout['spec'], 'service'> & { service?: Rollout['spec']['service'] } } {
  if (!rollout.spec.flag) return rollout;
  const { service: _internal, ...spec } = rollout.spec;
  return { ...rollout, spec };
}

export type RolloutView = ReturnType<typeof rolloutView>;

function heldBy(s: RolloutState) {
  const held = s.hooks?.holding;
  if (!held) return undefined;
  const runs = s.hooks!.runs.filter((r) => r.phase === held.phase && r.step === held.step);
  return {
    phase: held.phase,
    since: iso(held.since),
    /** The hooks not passed yet; `answer` is absent until the first one comes back. */
    hooks: runs.map((r) => ({ name: r.hook, asked: r.polls, ...(r.last ? { answer: r.last } : {}), ...(r.running ? {} : { askingAgainAt: iso(r.due) }) })),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
