import type { HookSpec } from '../spec/lifecycle-types.js';
import { LOAD_RUNNER_TYPE, LoadRunner, type LoadRunnerOptions } from './load.js';
import { MEMORY_RUNNER_TYPE, MemoryHookRunner, NOOP_RUNNER_TYPE, NoopHookRunner } from './memory.js';
import type { HookRunner } from './runner.js';
import { WEBHOOK_RUNNER_TYPE, WebhookRunner, type WebhookRunnerOptions } from './webhook.js';

export type { HookOutcome, HookPayload, HookRequest, HookRunner } from './runner.js';
export { hookPayload } from './runner.js';
export { WebhookRunner, WEBHOOK_RUNNER_TYPE } from './webhook.js';
export { LoadRunner, LOAD_RUNNER_TYPE } from './load.js';
export { MemoryHookRunner, NoopHookRunner, MEMORY_RUNNER_TYPE, NOOP_RUNNER_TYPE } from './memory.js';

export const HOOK_RUNNER_TYPES = [WEBHOOK_RUNNER_TYPE, LOAD_RUNNER_TYPE, MEMORY_RUNNER_TYPE, NOOP_RUNNER_TYPE] as const;

export class HookError extends Error {
  override readonly name = 'HookError';
  constructor(
    readonly code: 'SLUICE_UNKNOWN_HOOK_RUNNER',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HookRunnerOptions {
  webhook?: WebhookRunnerOptions;
  load?: LoadRunnerOptions;
}

/** The runner for a runner type; an unknown type throws HookError SLUICE_UNKNOWN_HOOK_RUNNER (never a silent fallback). */
export function createHookRunner(type: string, opts: HookRunnerOptions = {}): HookRunner {
  switch (type) {
    case WEBHOOK_RUNNER_TYPE:
      return new WebhookRunner(opts.webhook);
    case LOAD_RUNNER_TYPE:
      return new LoadRunner(opts.load);
    case MEMORY_RUNNER_TYPE:
      return new MemoryHookRunner();
    case NOOP_RUNNER_TYPE:
      return new NoopHookRunner();
    default:
      throw new HookError('SLUICE_UNKNOWN_HOOK_RUNNER', `unknown hook runner type ${JSON.stringify(type)}; known types are ${HOOK_RUNNER_TYPES.join(', ')}`);
  }
}

/** Which runner type a hook of the spec needs: `load` hooks the load generator, every other type a webhook. */
export function runnerTypeOf(hook: HookSpec): typeof WEBHOOK_RUNNER_TYPE | typeof LOAD_RUNNER_TYPE {
  return hook.type === 'load' ? LOAD_RUNNER_TYPE : WEBHOOK_RUNNER_TYPE;
}

/** The runners the control plane uses: one webhook and one load runner, picked per hook. */
export function defaultHookRunners(opts: HookRunnerOptions = {}): (hook: HookSpec) => HookRunner {
  const webhook = createHookRunner(WEBHOOK_RUNNER_TYPE, opts);
  const load = createHookRunner(LOAD_RUNNER_TYPE, opts);
  return (hook) => (runnerTypeOf(hook) === LOAD_RUNNER_TYPE ? load : webhook);
}
