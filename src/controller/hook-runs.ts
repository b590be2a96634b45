import type { HookResult, RolloutState } from '../engine/types.js';
import { stepNumbers } from '../engine/index.js';
import type { HookRunner } from '../hooks/runner.js';
import type { Logger } from '../log/logger.js';
import type { HookSpec } from '../spec/lifecycle-types.js';

/** Picks the runner for one hook of a spec. */
export type RunnerFor = (hook: HookSpec) => HookRunner;

interface InFlight {
  rollout: string;
  id: string;
  controller: AbortController;
}

/**
 * Keeps the hook runs a rollout's persisted state asks for running, outside
 * the rollout's lock (a gate or a load test may take minutes; an abort must
 * not wait for it). The state is the truth: `sync` starts every run marked
 * running that is not running here — after a restart, all of them — and
 * cancels runs the state no longer holds. Results go to `deliver`, which
 * feeds them to the engine; cancelled runs report nothing.
 */
export class HookRuns {
  private readonly inflight = new Map<string, InFlight>();
  private readonly done = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly runnerFor: RunnerFor,
    private readonly deliver: (rollout: string, result: HookResult) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  /** Makes what runs here match what `state` asks for. */
  sync(state: RolloutState): void {
    if (this.stopped) return;
    const wanted = new Set((state.hooks?.runs ?? []).filter((r) => r.running).map((r) => r.id));
    for (const [key, f] of this.inflight) {
      if (f.rollout === state.name && !wanted.has(f.id)) {
        f.controller.abort();
        this.inflight.delete(key);
      }
    }
    for (const run of state.hooks?.runs ?? []) {
      const key = `${state.name}/${run.id}`;
      if (!run.running || this.inflight.has(key)) continue;
      const hook = state.spec.hooks?.find((h) => h.name === run.hook);
      if (!hook) continue;
      const entry: InFlight = { rollout: state.name, id: run.id, controller: new AbortController() };
      this.inflight.set(key, entry);
      const request = { rollout: state.name, revision: state.revision, runId: run.id, hook, phase: run.phase, rolloutPhase: state.phase, ...stepNumbers(run.step, state.spec.steps.length), canaryWeight: state.canaryWeight };
      this.log.info({ rollout: state.name, hook: hook.name, phase: run.phase, run: run.id }, `running the ${run.phase} hook ${hook.name}`);
      const p = this.runOne(key, entry, () => this.runnerFor(hook).run(request, entry.controller.signal));
      this.done.add(p);
      void p.finally(() => this.done.delete(p));
    }
  }

  /** Forget a deleted rollout: its runs are cancelled. */
  forget(rollout: string): void {
    for (const [key, f] of this.inflight) {
      if (f.rollout !== rollout) continue;
      f.controller.abort();
      this.inflight.delete(key);
    }
  }

  /** Cancels every run and waits for them to wind down; nothing is delivered afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const f of this.inflight.values()) f.controller.abort();
    this.inflight.clear();
    await Promise.allSettled([...this.done]);
  }

  private async runOne(key: string, entry: InFlight, run: () => Promise<import('../hooks/runner.js').HookOutcome>): Promise<void> {
    try {
      let outcome;
      try {
        outcome = await run();
      } catch (err) {
        // Runners never throw by contract; one that does still yields a failed run.
        outcome = { ok: false, message: `the hook runner failed: ${err instanceof Error ? err.message : String(err)}`, attempts: 1, durationMs: 0 };
      }
      if (this.stopped || entry.controller.signal.aborted || outcome.cancelled) return;
      const { cancelled: _c, ...rest } = outcome;
      await this.deliver(entry.rollout, { id: entry.id, ...rest });
    } catch (err) {
      this.log.error({ rollout: entry.rollout, run: entry.id, err }, 'delivering a hook result failed; the run will be started again');
    } finally {
      if (this.inflight.get(key) === entry) this.inflight.delete(key);
    }
  }
}
