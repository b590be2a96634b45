import { afterEach, describe, expect, it } from 'vitest';
import type { VersionWindow } from '../analysis/types.js';
import { defaultHookRunners } from '../hooks/index.js';
import { Receiver } from '../hooks/testing.js';
import { silentLogger } from '../log/logger.js';
import { MemoryRouter } from '../routers/memory.js';
import type { HookSpec } from '../spec/lifecycle-types.js';
import type { Rollout } from '../spec/types.js';
import { MemoryStore } from '../store/memory.js';
import type { Store } from '../store/store.js';
import type { WindowSource } from './checks.js';
import { Controller } from './controller.js';

/**
 * The controller runs hooks outside the rollout's lock and feeds their results
 * back: real webhook receivers, the in-memory store and router, a stepped clock.
 */

const receivers: Receiver[] = [];
const controllers: Controller[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(): Promise<Receiver> {
  const r = await Receiver.start();
  receivers.push(r);
  return r;
}

function rollout(name: string, hooks: HookSpec[], steps: Rollout['spec']['steps'] = [{ setWeight: 10 }, { pause: { duration: 10_000 } }]): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      service: { listen: '127.0.0.1:18555', stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
      steps,
      onFailure: 'rollback',
      onInconclusive: 'pause',
      hooks,
    },
  };
}

const hook = (name: string, type: HookSpec['type'], url: string, extra: Partial<HookSpec> = {}): HookSpec => ({ name, type, url, timeout: 2000, retries: 0, ...extra });

const windows: WindowSource = {
  window: (_s: string, from: number, to: number) => {
    const v: VersionWindow = { requests: 100, errors: 0, successRate: 100 };
    return { from, to, canary: v, stable: v };
  },
};

function setup(store: Store = new MemoryStore(), router = new MemoryRouter()) {
  const clock = { now: 1_000_000 };
  const controller = new Controller({ store, router, windows, logger: silentLogger, now: () => clock.now, tickMs: 1_000_000, hookRunners: defaultHookRunners({ webhook: { retryDelayMs: 10 } }) });
  controllers.push(controller);
  const tick = async (ms = 500) => {
    clock.now += ms;
    // Let the lock of the previous operation be released, or the tick skips the rollout.
    await new Promise((r) => setImmediate(r));
    await (controller as unknown as { tickAll(): Promise<void> }).tickAll();
  };
  return { store, router, controller, clock, tick };
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Controller: hooks', () => {
  it('a failing pre-rollout hook rolls back before the data plane ever sends the canary traffic', async () => {
    const rx = (await receiver()).answer({ status: 500, body: 'schema migration failed' });
    const { store, router, controller } = setup();
    await controller.apply(rollout('web', [hook('migrate', 'pre-rollout', `${rx.url}/migrate`, { retries: 1 })]), 'alice');
    const done = await until('the rollback', () => store.getRollout('web')?.state.phase === 'rolled-back' && store.getRollout('web')!);
    expect(rx.at('/migrate')).toHaveLength(2);
    expect(router.callsOf('setRoutes').every((c) => c.routes.canaryWeight === 0)).toBe(true);
    expect(done.state.message).toContain('pre-rollout hook migrate failed (answered 500 Internal Server Error: schema migration failed)');
    const hookEvent = store.listEvents('web').find((e) => e.type === 'hook')!;
    expect(hookEvent.data).toMatchObject({ hook: 'migrate', phase: 'pre-rollout', ok: false, status: 500, attempts: 2 });
  });

  it('a confirm-promotion gate holds until its receiver says yes, polling at the interval', async () => {
    const rx = (await receiver()).answer({ status: 403, body: 'change freeze' });
    const { store, controller, tick } = setup();
    await controller.apply(rollout('web', [hook('approve', 'confirm-promotion', `${rx.url}/approve`)]), 'alice');
    await tick(10_000);
    await until('the first gate answer', () => store.listEvents('web').some((e) => e.type === 'hook'));
    expect(store.getRollout('web')!.state).toMatchObject({ phase: 'progressing', canaryWeight: 10 });
    expect(store.getRollout('web')!.state.message).toContain('waiting for the confirm-promotion hook approve before promotion');
    rx.answer({ status: 200 });
    await tick(5_000);
    expect(rx.at('/approve')).toHaveLength(1);
    await tick(5_000);
    await until('promotion', () => store.getRollout('web')!.state.phase === 'promoted');
    expect(rx.at('/approve')).toHaveLength(2);
    expect((rx.at('/approve')[1]!.json as { phase: string }).phase).toBe('confirm-promotion');
  });

  it('hook bodies and events number steps as `sluice status` does: step 1-based, stepIndex 0-based', async () => {
    const rx = (await receiver()).answer({ status: 200 });
    const { store, controller, tick } = setup();
    const steps: Rollout['spec']['steps'] = [{ setWeight: 10 }, { pause: { duration: 10_000 } }, { setWeight: 50 }, { pause: { duration: 10_000 } }];
    await controller.apply(rollout('web', [hook('smoke', 'rollout', `${rx.url}/smoke`), hook('approve', 'confirm-promotion', `${rx.url}/approve`)], steps), 'alice');
    await until('the smoke test at 10%', () => rx.at('/smoke').length === 1);
    // setWeight 10 is "step 1/4".
    expect(rx.at('/smoke')[0]!.json).toMatchObject({ phase: 'rollout', canaryWeight: 10, step: 1, steps: 4, stepIndex: 0 });
    await until('its result', () => store.getRollout('web')!.state.hooks!.runs.length === 0);
    await tick(10_000);
    await until('the smoke test at 50%', () => rx.at('/smoke').length === 2);
    expect(rx.at('/smoke')[1]!.json).toMatchObject({ canaryWeight: 50, step: 3, steps: 4, stepIndex: 2 });
    await until('its result', () => store.getRollout('web')!.state.hooks!.runs.length === 0);
    await tick(10_000);
    // After the last step the gate is at "step 4/4", all 4 steps done.
    await until('the gate', () => rx.at('/approve').length === 1);
    expect(rx.at('/approve')[0]!.json).toMatchObject({ phase: 'confirm-promotion', step: 4, steps: 4, stepIndex: 4 });
    await until('promotion', () => store.getRollout('web')!.state.phase === 'promoted');
    const events = store.listEvents('web');
    expect(events.find((e) => e.type === 'weight-changed' && e.data?.to === 50)!.data).toMatchObject({ step: 3, steps: 4, stepIndex: 2 });
    expect(events.filter((e) => e.type === 'hook').map((e) => [e.data?.hook, e.data?.step, e.data?.stepIndex])).toEqual([
      ['smoke', 1, 0],
      ['smoke', 3, 2],
      ['approve', 4, 4],
    ]);
  });

  it('an abort does not wait for a hook still running, and the run is cancelled', async () => {
    const rx = (await receiver()).answer({ status: 200, delayMs: 10_000 });
    const { store, controller } = setup();
    await controller.apply(rollout('web', [hook('soak', 'rollout', `${rx.url}/soak`, { timeout: 30_000 })]), 'alice');
    await until('the hook call', () => rx.at('/soak').length === 1);
    const started = Date.now();
    const aborted = await controller.command('web', { type: 'abort', actor: 'bob' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(aborted.state.phase).toBe('aborted');
    expect(store.getRollout('web')!.state.hooks!.runs).toEqual([]);
  });

  it('a restarted controller runs again the hook the stored state says is running', async () => {
    const rx = (await receiver()).answer({ status: 200, delayMs: 10_000 });
    const store = new MemoryStore();
    const first = setup(store);
    await first.controller.apply(rollout('web', [hook('ticket', 'confirm-rollout', `${rx.url}/ticket`)]), 'alice');
    await until('the first call', () => rx.at('/ticket').length === 1);
    await first.controller.stop();
    expect(store.getRollout('web')!.state.hooks!.runs[0]).toMatchObject({ hook: 'ticket', running: true });

    rx.answer({ status: 200 });
    const second = setup(store, first.router);
    await second.controller.start();
    await second.tick();
    await until('the rollout to go on', () => store.getRollout('web')!.state.canaryWeight === 10);
    const calls = rx.at('/ticket');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['x-sluice-hook-run']).toBe(calls[0]!.headers['x-sluice-hook-run']);
  });

  it('post-rollout hooks run after the end and their result is in the history', async () => {
    const rx = await receiver();
    const { store, controller, tick } = setup();
    await controller.apply(rollout('web', [hook('announce', 'post-rollout', `${rx.url}/done`, { metadata: { channel: '#deploys' } })]), 'alice');
    await tick(10_000);
    await until('the post-rollout call', () => store.listEvents('web').some((e) => e.type === 'hook'));
    expect(store.getRollout('web')!.state.phase).toBe('promoted');
    expect(rx.at('/done')[0]!.json).toMatchObject({ name: 'web', phase: 'post-rollout', rolloutPhase: 'promoted', metadata: { channel: '#deploys' } });
    expect(store.listEvents('web').at(-1)!.message).toBe('the post-rollout hook announce passed: answered 200');
  });
});
