import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { SluiceProvider } from '../../src/openfeature/index.js';
import { rolloutTable, statusBlock } from '../../src/cli/render.js';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.js';

/**
 * Guarded flag rollouts end to end: a real control plane, the real
 * OpenFeature client with Sluice's provider in an "application" that serves
 * many users and tracks each request's outcome; the same judge as traffic
 * rollouts ramps the variant or reverts it to 0%.
 */

const FLAGS = `
apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: { name: shop, environment: production }
spec:
  flags:
    good-checkout: { variants: { on: true, off: false }, defaultVariant: off }
    bad-checkout: { variants: { on: true, off: false }, defaultVariant: off }
    slow-checkout: { variants: { on: true, off: false }, defaultVariant: off }
`;

const rollout = (name: string, key: string) => `
apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  flag: { environment: production, key: ${key}, variant: on, flagSet: shop }
  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: { duration: 1s }
        - setWeight: 50
        - pause: { duration: 1s }
  analysis:
    judge: { alpha: 0.01, minEffect: 1, minStepEvents: 5, maxWait: 60s }
  onInconclusive: rollback
`;

describe('guarded flag rollouts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-guarded-'));
  let plane: ControlPlane;
  let admin: Record<string, string>;
  let client: Client;
  let provider: SluiceProvider;

  const api = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: string, type = 'application/yaml') => {
    const res = await request(plane.url + path, { method, reset: true, headers: { ...admin, ...(body ? { 'content-type': type } : {}) }, body });
    return { status: res.statusCode, body: (await res.body.json()) as any };
  };

  beforeAll(async () => {
    plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger: silentLogger, tickMs: 50 });
    admin = { authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}`, 'x-sluice-actor': 'e2e' };
    expect((await api('POST', '/api/v1/flagsets', FLAGS)).status).toBeLessThan(300);
    const key = plane.flags.createClientKey('production', 'app', 'e2e').secret;
    provider = new SluiceProvider({ url: plane.url, clientKey: key, flushIntervalMs: 100 });
    await OpenFeature.setProviderAndWait('guarded', provider);
    client = OpenFeature.getClient('guarded');
  });

  afterAll(async () => {
    await OpenFeature.close();
    await plane.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The application: serves users until the rollout ends; users on `on` fail at `badRate`, everyone else at 2%. */
  async function serve(name: string, key: string, badRate: number): Promise<any> {
    const deadline = Date.now() + 40_000;
    let user = 0;
    for (;;) {
      const status = await api('GET', `/api/v1/rollouts/${name}`);
      const phase = status.body.rollout?.phase ?? status.body.phase;
      if (['promoted', 'rolled-back', 'aborted'].includes(phase)) return status.body;
      if (Date.now() > deadline) throw new Error(`rollout ${name} still ${phase} after 40 s: ${JSON.stringify(status.body).slice(0, 400)}`);
      for (let i = 0; i < 2000; i++) {
        const ctx = { targetingKey: `user-${user++ % 50_000}` };
        const on = await client.getBooleanValue(key, false, ctx);
        const failed = Math.random() < (on ? badRate : 0.02);
        client.track('request', ctx, { value: failed ? 200 : 20, error: failed });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('reverts a failing variant to 0% and explains why', async () => {
    const applied = await api('POST', '/api/v1/rollouts', rollout('bad-flag', 'bad-checkout'));
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    await serve('bad-flag', 'bad-checkout', 0.3);
    const flag = plane.flags.flag('production', 'bad-checkout');
    expect(flag.definition.split).toBeUndefined();
    expect(await client.getBooleanValue('bad-checkout', true, { targetingKey: 'anyone' })).toBe(false);
    const events = plane.controller.events('bad-flag');
    const rolledBack = events.find((e) => e.type === 'rolled-back');
    expect(rolledBack?.message, JSON.stringify(events.map((e) => [e.type, e.message]))).toMatch(/error/i);
    expect(rolledBack?.message).toMatch(/rolled back by the sequential judge: "on" users' error rate .* vs everyone else's /);
    expect(rolledBack?.data).toMatchObject({ rule: 'sequential-judge', canaryWeight: 0, judge: { errors: { verdict: 'fail' } } });
    const history = plane.flags.history('production', 'bad-checkout');
    expect(history.some((e) => e.actor === 'rollout/bad-flag')).toBe(true);
  });

  it('ramps a healthy variant to 100%', async () => {
    const applied = await api('POST', '/api/v1/rollouts', rollout('good-flag', 'good-checkout'));
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const end = await serve('good-flag', 'good-checkout', 0.02);
    expect(JSON.stringify(end)).toContain('promoted');
    expect(plane.flags.flag('production', 'good-checkout').definition.split).toEqual({ on: 100 });
    const steps = plane.controller.events('good-flag').map((e) => [e.type, e.message]);
    expect(steps.filter(([t]) => t === 'weight-changed').map(([, m]) => m), JSON.stringify(steps)).toEqual([expect.stringMatching(/0% → 10%/), expect.stringMatching(/10% → 50%/)]);
    expect(steps.at(-2)?.[0] === 'promoted' || steps.at(-1)?.[0] === 'promoted').toBe(true);
    expect(await client.getBooleanValue('good-checkout', false, { targetingKey: 'anyone' })).toBe(true);
    // What `sluice status` and `sluice get rollouts` print for it, from the API's view.
    const list = (await api('GET', '/api/v1/rollouts')).body;
    const block = statusBlock(list.rollouts.find((r: { name: string }) => r.name === 'good-flag'), false);
    expect(block).toContain('good-checkout=on served to 100% of users');
    expect(block).toMatch(/good-checkout!=on +\S/);
    expect(rolloutTable(list.rollouts)).toMatch(/good-flag .* 100% users +flag:production\/good-checkout/);
    // `status -o json` names the flag as the author did (spec.flag), without the engine's internal encoding of it as a service.
    const shown = list.rollouts.find((r: { name: string }) => r.name === 'good-flag').rollout;
    expect(shown.spec.service).toBeUndefined();
    expect(shown.spec.flag).toEqual({ environment: 'production', key: 'good-checkout', variant: 'on', flagSet: 'shop' });
  });

  it('locks a driven flag: a hand-made split is refused, apply keeps the split, and a kill switch holds the rollout unconfirmed', async () => {
    const locks = (percent: number, description: string) => `
apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: { name: locks, environment: production }
spec:
  flags:
    new-checkout: { description: ${description}, variants: { on: true, off: false }, defaultVariant: off, split: { on: ${percent} } }
`;
    expect((await api('POST', '/api/v1/flagsets', locks(10, 'first'))).status).toBe(201);
    const doc = rollout('locked-flag', 'new-checkout').replace('flagSet: shop', 'flagSet: locks').replace('- setWeight: 10\n        - pause: { duration: 1s }', '- setWeight: 1\n        - pause: { duration: 1h }');
    expect((await api('POST', '/api/v1/rollouts', doc)).status).toBe(201);
    const view = async () => (await api('GET', '/api/v1/rollouts/locked-flag')).body;
    const until = async (what: string, ok: () => Promise<boolean> | boolean) => {
      const deadline = Date.now() + 10_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within 10 s: ${JSON.stringify(await view()).slice(0, 400)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('step 1 setting the flag to 1%', async () => plane.flags.flag('production', 'new-checkout').definition.split?.on === 1 && (await view()).routesConfirmed === true);

    const refused = await api('PATCH', '/api/v1/flags/production/new-checkout', JSON.stringify({ percent: 2 }), 'application/json');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SLUICE_FLAG_UNDER_ROLLOUT');
    expect(refused.body.error.message).toMatch(/guarded rollout "locked-flag" \(step 2 of 4, serving "on" to 1% of users\).*pause .*or abort .*rollout "locked-flag" first, or promote it/);

    const applied = await api('POST', '/api/v1/flagsets', locks(10, 'second'));
    expect(applied.status).toBe(200);
    expect(applied.body.results[0].warnings).toEqual([expect.stringMatching(/^flag "new-checkout": kept the split on 1% set by guarded rollout "locked-flag"/)]);
    expect(plane.flags.flag('production', 'new-checkout').definition).toMatchObject({ split: { on: 1 }, description: 'second' });
    const listed = (await api('GET', '/api/v1/flags?key=new-checkout')).body.flags[0];
    expect(listed.drivenBy).toMatchObject({ rollout: 'locked-flag', step: 2, steps: 4, share: 1 });

    // The kill switch always works; the rollout then holds, and nobody claims the flag serves 1%.
    // Whoever follows the rollout live (the dashboard, `status --watch`) is told at once, not at the next state refresh.
    const live = new AbortController();
    const stream = await request(`${plane.url}/api/v1/events?rollout=locked-flag`, { headers: admin, signal: live.signal });
    const told = (async () => {
      let text = '';
      for await (const chunk of stream.body) {
        text += chunk;
        const told = text.split('\n\n').find((frame) => frame.startsWith('event: decision') && frame.includes('switched off by admin'));
        if (told) return told;
      }
      return text;
    })();
    const off = await api('PATCH', '/api/v1/flags/production/new-checkout', JSON.stringify({ enabled: false }), 'application/json');
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const held = await view();
    expect(held.routesConfirmed).toBe(false);
    expect(statusBlock(held, false)).toContain('new-checkout=on set to 1% of users, NOT confirmed by the flag');
    expect(plane.controller.events('locked-flag').at(-1)?.message).toMatch(/^flag new-checkout \(production\) switched off by admin: it serves "on" to 0% of users, not the rollout's 1%; the rollout holds/);
    expect(plane.flags.flag('production', 'new-checkout').definition.enabled).toBe(false);
    const frame = await Promise.race([told, new Promise<string>((r) => setTimeout(() => r('nothing within 5 s'), 5_000))]);
    live.abort();
    expect(frame).toMatch(/^event: decision\nid: \d+\ndata: \{.*"type":"routes-confirmed".*switched off by admin/s);

    // Switched on again, the flag serves the rollout's share, which the controller confirms.
    expect((await api('PATCH', '/api/v1/flags/production/new-checkout', JSON.stringify({ enabled: true }), 'application/json')).status).toBe(200);
    await until('the rollout confirming the flag again', async () => (await view()).routesConfirmed === true);
    expect(plane.flags.flag('production', 'new-checkout').definition).toMatchObject({ enabled: true, split: { on: 1 } });
    // Held, not stepped, and said once: the only event since is the kill switch's.
    expect(plane.controller.events('locked-flag').map((e) => e.type)).toEqual(['started', 'weight-changed', 'step-advanced', 'routes-confirmed']);
    expect((await api('POST', '/api/v1/rollouts/locked-flag/abort', JSON.stringify({ reason: 'test' }), 'application/json')).status).toBe(200);
    const free = await api('PATCH', '/api/v1/flags/production/new-checkout', JSON.stringify({ percent: 2, variant: 'on' }), 'application/json');
    expect(free.status, JSON.stringify(free.body)).toBe(200);
  });

  it('refuses a spec with both service and flag, with the position', async () => {
    const both = rollout('both', 'good-checkout').replace('  flag:', '  service: { listen: "127.0.0.1:18080", stable: { upstreams: ["http://127.0.0.1:1"] }, canary: { upstreams: ["http://127.0.0.1:2"] } }\n  flag:');
    const res = await api('POST', '/api/v1/rollouts', both);
    expect(res.status).toBe(400);
    const errors = res.body.error.details.errors as Array<{ path: string; line: number; message: string }>;
    expect(errors).toEqual([expect.objectContaining({ path: 'spec.flag', line: 7, message: expect.stringMatching(/cannot be used together with "service"/) })]);
  });

  it('keeps a guarded rollout through a control-plane restart, and an abort returns the variant to 0%', async () => {
    const doc = rollout('slow-flag', 'slow-checkout').replace('- pause: { duration: 1s }', '- pause: { duration: 1h }');
    expect((await api('POST', '/api/v1/rollouts', doc)).status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (plane.flags.flag('production', 'slow-checkout').definition.split?.on !== 10) {
      if (Date.now() > deadline) throw new Error('the first step never set the flag to 10%');
      await new Promise((r) => setTimeout(r, 20));
    }
    const port = new URL(plane.url).port;
    await plane.close();
    plane = await startControlPlane({ api: `127.0.0.1:${port}`, dataDir, logger: silentLogger, tickMs: 50 });
    const record = plane.controller.get('slow-flag');
    expect(record?.state.phase).toBe('progressing');
    expect(record?.state.canaryWeight).toBe(10);
    expect(plane.flags.flag('production', 'slow-checkout').definition.split).toEqual({ on: 10 });
    expect(plane.controller.events('slow-flag').at(-1)?.message).toMatch(/re-applied the persisted routes after a restart/);
    const aborted = await api('POST', '/api/v1/rollouts/slow-flag/abort', JSON.stringify({ reason: 'test' }), 'application/json');
    expect(aborted.status, JSON.stringify(aborted.body)).toBe(200);
    expect(plane.flags.flag('production', 'slow-checkout').definition.split).toBeUndefined();
  });
});
