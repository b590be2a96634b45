import type { HookOutcome, HookRequest, HookRunner } from './runner.js';

export const MEMORY_RUNNER_TYPE = 'memory';
export const NOOP_RUNNER_TYPE = 'noop';

export type Scripted = Omit<HookOutcome, 'attempts' | 'durationMs'> & { attempts?: number; durationMs?: number };

/**
 * A hook runner for tests: answers from a script per hook name (default: a
 * pass) and records every request, in order. `hold(name)` keeps that hook's
 * runs unanswered until `release(name)`, to test runs in flight.
 */
export class MemoryHookRunner implements HookRunner {
  readonly type = MEMORY_RUNNER_TYPE;
  readonly requests: HookRequest[] = [];
  private readonly script = new Map<string, Scripted | ((req: HookRequest) => Scripted)>();
  private readonly held = new Map<string, Array<() => void>>();

  answer(hook: string, outcome: Scripted | ((req: HookRequest) => Scripted)): this {
    this.script.set(hook, outcome);
    return this;
  }

  hold(hook: string): this {
    if (!this.held.has(hook)) this.held.set(hook, []);
    return this;
  }

  release(hook: string): void {
    const waiting = this.held.get(hook) ?? [];
    this.held.delete(hook);
    for (const go of waiting) go();
  }

  async run(req: HookRequest, signal: AbortSignal): Promise<HookOutcome> {
    this.requests.push(req);
    const waiting = this.held.get(req.hook.name);
    if (waiting) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    if (signal.aborted) return { ok: false, message: 'cancelled', attempts: 1, durationMs: 0, cancelled: true };
    const entry = this.script.get(req.hook.name) ?? { ok: true, status: 200, message: 'answered 200' };
    const out = typeof entry === 'function' ? entry(req) : entry;
    return { attempts: 1, durationMs: 0, ...out };
  }
}

/** Passes every hook without calling anything (a dry run of the lifecycle). */
export class NoopHookRunner implements HookRunner {
  readonly type = NOOP_RUNNER_TYPE;

  async run(req: HookRequest): Promise<HookOutcome> {
    return { ok: true, message: `skipped ${req.hook.name} (no-op hook runner)`, attempts: 1, durationMs: 0 };
  }
}
