import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { freePort } from '../../src/cli/demo.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { startServer, waitFor, writeTemp, type ServerProcess } from './harness.js';

/** Sticky and A/B rollouts through the real CLI, a real `sluice up` and real upstreams. */
describe('sticky and A/B rollouts through the CLI', () => {
  let server: ServerProcess;
  const services: SampleService[] = [];
  const client = new Agent({ connections: 8 });
  const cli = (...args: string[]) => server.cli(...args);

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all(services.map((s) => s.close()));
    await client.close();
  });

  async function setup(canaryErrorRate = 0) {
    const stable = await startSampleService({ version: 'v1' });
    const canary = await startSampleService({ version: 'v2', errorRate: canaryErrorRate });
    services.push(stable, canary);
    return { stable: stable.url, canary: canary.url, listen: `127.0.0.1:${await freePort()}` };
  }

  async function versionOf(listen: string, headers: Record<string, string>): Promise<string> {
    return (await answer(listen, headers)).version;
  }

  /** Which build answered (x-sample-version) and in which role the proxy sent the request (x-sluice-version). */
  async function answer(listen: string, headers: Record<string, string>): Promise<{ version: string; role: string }> {
    const res = await request(`http://${listen}/`, { headers, dispatcher: client });
    await res.body.dump();
    return { version: res.headers['x-sample-version'] as string, role: res.headers['x-sluice-version'] as string };
  }

  async function status(name: string): Promise<{ phase: string; pauseReason?: string; canaryWeight: number }> {
    return JSON.parse((await cli('status', name, '-o', 'json')).stdout);
  }

  it('keeps every user on one version and only moves users to the canary as the weight rises', async () => {
    const u = await setup();
    const file = writeTemp(
      'sticky.yaml',
      `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: sticky}
spec:
  service:
    listen: ${u.listen}
    stable: {upstreams: [${u.stable}]}
    canary: {upstreams: [${u.canary}]}
    stickiness: {header: x-user-id}
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 60}, {pause: {}}]
`,
    );
    const applied = await cli('apply', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    await waitFor(async () => {
      const s = await status('sticky');
      return s.phase === 'paused' && s.canaryWeight === 20;
    }, 'the gate at 20%');

    const users = Array.from({ length: 150 }, (_, i) => `customer-${i}`);
    const at20 = new Map<string, string>();
    for (const user of users) at20.set(user, await versionOf(u.listen, { 'x-user-id': user }));
    for (const user of users.slice(0, 30)) expect(await versionOf(u.listen, { 'x-user-id': user })).toBe(at20.get(user));
    const canary20 = users.filter((x) => at20.get(x) === 'v2');
    expect(canary20.length).toBeGreaterThan(users.length * 0.08);
    expect(canary20.length).toBeLessThan(users.length * 0.35);

    expect((await cli('promote', 'sticky')).code).toBe(0);
    await waitFor(async () => {
      const s = await status('sticky');
      return s.phase === 'paused' && s.canaryWeight === 60;
    }, 'the gate at 60%');

    const at60 = new Map<string, string>();
    for (const user of users) at60.set(user, await versionOf(u.listen, { 'x-user-id': user }));
    const flippedBack = canary20.filter((x) => at60.get(x) !== 'v2');
    expect(flippedBack).toEqual([]);
    const canary60 = users.filter((x) => at60.get(x) === 'v2');
    expect(canary60.length).toBeGreaterThan(canary20.length);
    expect(canary60.length).toBeGreaterThan(users.length * 0.45);
    expect(canary60.length).toBeLessThan(users.length * 0.75);

    expect((await cli('abort', 'sticky')).code).toBe(0);
    await waitFor(async () => (await status('sticky')).phase === 'aborted', 'the abort');
    for (const user of canary60.slice(0, 10)) expect(await versionOf(u.listen, { 'x-user-id': user })).toBe('v1');
  });

  const abRollout = (name: string, u: { listen: string; stable: string; canary: string }) =>
    writeTemp(
      `${name}.yaml`,
      `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: ${name}}
spec:
  service:
    listen: ${u.listen}
    stable: {upstreams: [${u.stable}]}
    canary: {upstreams: [${u.canary}]}
  strategy:
    abTest:
      match: [{headers: {x-beta: {exact: "1"}}}]
      iterations: 3
      interval: 1s
  analysis:
    minRequests: 5
    failureLimit: 0
    inconclusiveLimit: 30
    metrics: [{name: success-rate, min: 95}]
`,
    );

  /** Requests with and without the A/B header until stopped; the roles the proxy gave each kind. */
  function traffic(listen: string) {
    let running = true;
    const seen = { beta: new Set<string>(), others: new Set<string>() };
    const loop = (async () => {
      while (running) {
        seen.beta.add((await answer(listen, { 'x-beta': '1' })).role);
        seen.others.add((await answer(listen, { 'x-beta': '0' })).role);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return {
      seen,
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  it('an A/B test sends only matching requests to the canary, then promotes it after its iterations', async () => {
    const u = await setup();
    const applied = await cli('apply', '-f', abRollout('ab-good', u));
    expect(applied.code, applied.stderr).toBe(0);
    await waitFor(async () => (await versionOf(u.listen, { 'x-beta': '1' })) === 'v2', 'the match rule on the proxy');
    const load = traffic(u.listen);
    try {
      await waitFor(async () => (await status('ab-good')).phase !== 'progressing', 'the A/B test to end', 30_000);
    } finally {
      await load.stop();
    }
    const final = await status('ab-good');
    expect(final.phase).toBe('promoted');
    // Requests without the header never reached the canary; with it, they did until the promotion.
    expect(load.seen.others).toEqual(new Set(['stable']));
    expect(load.seen.beta.has('canary')).toBe(true);
    const history = JSON.parse((await cli('history', 'ab-good', '-o', 'json')).stdout) as { events: Array<{ type: string; message: string }> };
    const checks = history.events.filter((e) => e.type === 'check');
    expect(checks.filter((e) => /pass/.test(e.message)).length).toBeGreaterThanOrEqual(3);
    expect(await versionOf(u.listen, {})).toBe('v2');
  }, 90_000);

  it('an A/B test rolls back a canary failing the matched traffic, and the header then reaches stable', async () => {
    const u = await setup(0.5);
    const applied = await cli('apply', '-f', abRollout('ab-bad', u));
    expect(applied.code, applied.stderr).toBe(0);
    await waitFor(async () => (await versionOf(u.listen, { 'x-beta': '1' })) === 'v2', 'the match rule on the proxy');
    const load = traffic(u.listen);
    try {
      await waitFor(async () => (await status('ab-bad')).phase !== 'progressing', 'the A/B test to end', 30_000);
    } finally {
      await load.stop();
    }
    expect((await status('ab-bad')).phase).toBe('rolled-back');
    expect(load.seen.others).toEqual(new Set(['stable']));
    for (let i = 0; i < 5; i++) expect(await versionOf(u.listen, { 'x-beta': '1' })).toBe('v1');
  }, 90_000);
});
