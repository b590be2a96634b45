import { describe, expect, it } from 'vitest';
import type { VersionWindow } from '../analysis/types.js';
import { silentLogger } from '../log/logger.js';
import { MemoryRouter } from '../routers/memory.js';
import type { Routes } from '../routers/router.js';
import type { Rollout } from '../spec/types.js';
import { MemoryStore } from '../store/memory.js';
import { Controller } from './controller.js';
import type { WindowSource } from './checks.js';
import { ControllerError } from './errors.js';

/** Controller logic on the in-memory store and router, with a stepped clock and scripted measurements. */

function rollout(name: string, overrides: Partial<Rollout['spec']> = {}): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      service: { listen: `127.0.0.1:${name.length + 18000}`, stable: { upstreams: ['http://127.0.0.1:9001'] }, canary: { upstreams: ['http://127.0.0.1:9002'] } },
      steps: [{ setWeight: 10 }, { pause: { duration: 10_000 } }, { setWeight: 50 }, { pause: { duration: 10_000 } }],
      analysis: { interval: 5_000, failureLimit: 0, inconclusiveLimit: 3, minRequests: 10, metrics: [{ name: 'success-rate', min: 99 }] },
      onFailure: 'rollback',
      onInconclusive: 'pause',
      ...overrides,
    },
  };
}

class ScriptedWindows implements WindowSource {
  canary: VersionWindow = { requests: 100, errors: 0, successRate: 100 };
  stable: VersionWindow = { requests: 900, errors: 0, successRate: 100 };
  window(_service: string, from: number, to: number) {
    return { from, to, canary: this.canary, stable: this.stable };
  }
}

function setup() {
  let now = 1_000_000;
  const store = new MemoryStore();
  const router = new MemoryRouter();
  const windows = new ScriptedWindows();
  const controller = new Controller({ store, router, windows, logger: silentLogger, now: () => now, tickMs: 1_000_000 });
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 500) {
      now += 500;
      await (controller as unknown as { tickAll(): Promise<void> }).tickAll();
    }
  };
  return { store, router, windows, controller, advance };
}

describe('Controller', () => {
  it('persists intent, applies it, records the confirmation, and promotes after passing checks', async () => {
    const { store, router, controller, advance } = setup();
    const { outcome, record } = await controller.apply(rollout('web'), 'alice');
    expect(outcome).toBe('created');
    expect(record.state.canaryWeight).toBe(10);
    expect(await router.getRoutes('web')).toEqual(record.state.routes);
    expect(store.getRollout('web')!.confirmedRoutes).toEqual(record.state.routes);

    await advance(25_000);
    const done = store.getRollout('web')!;
    expect(done.state.phase).toBe('promoted');
    const live = (await router.getRoutes('web')) as Routes;
    expect(live.stable).toEqual(['http://127.0.0.1:9002']);
    expect(live.canaryWeight).toBe(0);
    const types = store.listEvents('web').map((e) => e.type);
    expect(types.filter((t) => t === 'check').length).toBeGreaterThanOrEqual(2);
    expect(types.at(-1)).toBe('promoted');
  });

  it('rolls back when a check fails and the data plane ends all on stable', async () => {
    const { store, router, windows, controller, advance } = setup();
    await controller.apply(rollout('bad'), 'ci');
    windows.canary = { requests: 100, errors: 9, successRate: 91 };
    await advance(6_000);
    expect(store.getRollout('bad')!.state.phase).toBe('rolled-back');
    expect((await router.getRoutes('bad'))!.canaryWeight).toBe(0);
    const last = store.listEvents('bad').at(-1)!;
    expect(last.type).toBe('rolled-back');
    expect(last.message).toMatch(/success-rate/);
  });

  it('never promotes on too few samples: inconclusive checks pause instead', async () => {
    const { store, windows, controller, advance } = setup();
    await controller.apply(rollout('quiet'), 'ci');
    windows.canary = { requests: 3, errors: 0, successRate: 100 };
    await advance(60_000);
    const s = store.getRollout('quiet')!.state;
    expect(s.phase).toBe('paused');
    expect(s.pauseReason).toBe('inconclusive');
    expect(s.canaryWeight).toBe(10);
  });

  it('refuses a different document while in progress (409) and changes nothing; the same one is unchanged', async () => {
    const { store, controller } = setup();
    await controller.apply(rollout('web'), 'a');
    const before = store.getRollout('web')!;
    await expect(controller.apply(rollout('web', { steps: [{ setWeight: 90 }] }), 'b')).rejects.toMatchObject({ code: 'SLUICE_ROLLOUT_IN_PROGRESS' });
    expect(store.getRollout('web')).toEqual(before);
    expect((await controller.apply(rollout('web'), 'a')).outcome).toBe('unchanged');
  });

  it('refuses a second service on the same listen address', async () => {
    const { controller } = setup();
    await controller.apply(rollout('aaa'), 'a');
    const clash = rollout('bbb');
    await expect(controller.apply(clash, 'a')).rejects.toBeInstanceOf(ControllerError);
  });

  it('starts a new revision of a finished rollout, and re-applies persisted routes on start', async () => {
    const { store, router, controller } = setup();
    await controller.apply(rollout('web'), 'a');
    await controller.command('web', { type: 'abort', actor: 'a' });
    const next = await controller.apply(rollout('web', { steps: [{ setWeight: 20 }, { pause: {} }] }), 'a');
    expect(next.outcome).toBe('updated');
    expect(next.record.state.revision).toBe(2);

    // A fresh controller on the same store (a restart) with an empty data plane repairs it.
    const fresh = new MemoryRouter();
    const again = new Controller({ store, router: fresh, windows: new ScriptedWindows(), logger: silentLogger, tickMs: 1_000_000 });
    await again.start();
    await again.stop();
    expect(await fresh.getRoutes('web')).toEqual(store.getRollout('web')!.state.routes);
    expect(store.listEvents('web').at(-1)!.type).toBe('routes-confirmed');
    void router;
  });
});
