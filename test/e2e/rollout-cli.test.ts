import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort } from '../../src/cli/demo.js';
import { startLoad, type Load } from '../../src/demo/load.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { rolloutYaml, runCli, startServer, waitFor, writeTemp, type ServerProcess } from './harness.js';

/** The real CLI against a real `sluice up` process, with real upstreams and real load. */
describe('rollouts through the real CLI and server', () => {
  let server: ServerProcess;
  const services: SampleService[] = [];
  const loads: Load[] = [];
  const cli = (...args: string[]) => server.cli(...args);

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    await Promise.all(services.map((s) => s.close()));
  });

  async function upstreams(canaryErrorRate: number, canaryDelay = 0) {
    const stable = await startSampleService({ version: 'v1', errorRate: 0 });
    const canary = await startSampleService({ version: 'v2', errorRate: canaryErrorRate, delayMs: canaryDelay });
    services.push(stable, canary);
    return { stable: stable.url, canary: canary.url, listen: `127.0.0.1:${await freePort()}` };
  }

  const analysis = `
interval: 1s
failureLimit: 0
inconclusiveLimit: 20
minRequests: 10
metrics:
  - {name: success-rate, min: 95}
  - {name: latency-p99, max: 200}`;

  it('promotes a healthy canary step by step, through a manual gate, and the proxy then serves it', async () => {
    const u = await upstreams(0);
    const file = writeTemp('healthy.yaml', rolloutYaml({ name: 'healthy', ...u, steps: '- setWeight: 30\n- pause: {}\n- setWeight: 60\n- pause: {duration: 1s}', analysis }));
    loads.push(startLoad(`http://${u.listen}`, 100));

    const applied = await cli('apply', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('rollout "healthy" created');

    const paused = await waitFor(async () => {
      const r = await cli('status', 'healthy', '-o', 'json');
      const v = JSON.parse(r.stdout);
      return v.phase === 'paused' && v.pauseReason === 'gate' && v;
    }, 'the manual gate');
    expect(paused.canaryWeight).toBe(30);

    const listed = await cli('get', 'rollouts');
    expect(listed.stdout).toMatch(/healthy\s+1\s+paused/);

    // A gate is an approval: resume does not pass it, and says what does.
    const resumed = await cli('resume', 'healthy');
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain('it waits at a manual gate at step 2/4: a gate is an approval, which only a promote gives');
    expect(resumed.stderr).toContain('`sluice promote healthy` approves it');

    const promoted = await cli('promote', 'healthy');
    expect(promoted.code, promoted.stderr).toBe(0);

    const watch = await cli('status', 'healthy', '--watch');
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toContain('[promoted]');
    expect(watch.stdout).toMatch(/\[check\] .*pass/);

    // The canary is the new stable: every request now reaches v2.
    const res = await request(`http://${u.listen}/after`);
    expect(res.headers['x-sample-version']).toBe('v2');
    expect(res.headers['x-sluice-version']).toBe('stable');
    await res.body.dump();

    const history = await cli('history', 'healthy', '-o', 'json');
    const types = JSON.parse(history.stdout).events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('started');
    expect(types).toContain('promoted');
    expect(JSON.parse(history.stdout).events.find((e: { type: string }) => e.type === 'step-advanced' || e.type === 'resumed')).toBeTruthy();
  });

  it('sluice run exits 2 when analysis rolls a faulty canary back, and traffic returns to stable', async () => {
    const u = await upstreams(0.3, 0);
    const file = writeTemp('faulty.yaml', rolloutYaml({ name: 'faulty', ...u, steps: '- setWeight: 50\n- pause: {duration: 30s}', analysis }));
    loads.push(startLoad(`http://${u.listen}`, 100));
    const run = await cli('run', '-f', file);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(/\[rolled-back\] .*success-rate/);
    const v = JSON.parse((await cli('status', 'faulty', '-o', 'json')).stdout);
    expect(v.phase).toBe('rolled-back');
    expect(v.routes.canaryWeight).toBe(0);
    for (let i = 0; i < 20; i++) {
      const res = await request(`http://${u.listen}/x${i}`);
      expect(res.headers['x-sluice-version']).toBe('stable');
      await res.body.dump();
    }
  });

  it('sluice run exits 3 when the rollout is aborted, and 409 keeps a second apply from changing it', async () => {
    const u = await upstreams(0);
    const file = writeTemp('gated.yaml', rolloutYaml({ name: 'gated', ...u, steps: '- setWeight: 10\n- pause: {}' }));
    const running = cli('run', '-f', file, '-o', 'json');
    await waitFor(async () => JSON.parse((await cli('status', 'gated', '-o', 'json')).stdout).phase === 'paused', 'the gate');

    const other = writeTemp('gated2.yaml', rolloutYaml({ name: 'gated', ...u, steps: '- setWeight: 90' }));
    const conflict = await cli('apply', '-f', other);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('sluice abort gated');
    const still = JSON.parse((await cli('status', 'gated', '-o', 'json')).stdout);
    expect(still.canaryWeight).toBe(10);

    const abort = await cli('abort', 'gated', '--reason', 'testing');
    expect(abort.code).toBe(0);
    const result = await running;
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // The actor is the name of the token that made the call: `sluice up`'s first token is "admin".
    expect(lines.some((l) => l.event?.type === 'aborted' && l.event.actor === 'admin')).toBe(true);
  });

  it('rejects bad input with a clear error and changes nothing', async () => {
    const bad = await request(`${server.url}/api/v1/rollouts`, { method: 'POST', body: '{not json', headers: { ...server.auth, 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { error: { code: string } }).error.code).toBe('SLUICE_BAD_JSON');

    const stored = async () =>
      JSON.parse((await cli('get', 'rollouts', '-o', 'json')).stdout).rollouts.map((r: { name: string; revision: number; rollout: unknown }) => [r.name, r.revision, r.rollout]);
    const before = await stored();
    const invalid = await request(`${server.url}/api/v1/rollouts`, {
      method: 'POST',
      body: 'apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  servce: {}\n',
      headers: { ...server.auth, 'content-type': 'application/yaml' },
    });
    expect(invalid.statusCode).toBe(400);
    const body = (await invalid.body.json()) as { error: { code: string; details: { errors: Array<{ path: string; line?: number }> } } };
    expect(body.error.code).toBe('SLUICE_INVALID_SPEC');
    expect(body.error.details.errors.some((e) => e.path.includes('servce') && e.line === 5)).toBe(true);
    expect(await stored()).toEqual(before);

    const missing = await cli('promote', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no rollout named "nope"');

    const unreachable = await runCli(['--server', 'http://127.0.0.1:1', 'get', 'rollouts']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Is `sluice up` running?');

    // Pointed at a service that answers JSON (here a sample upstream, as when a rollout's listen address is mistaken for the API).
    const service = await startSampleService({ version: 'v1' });
    services.push(service);
    for (const args of [['get', 'rollouts'], ['status', 'checkout']]) {
      const wrong = await runCli(['--server', service.url, ...args]);
      expect(wrong.code, wrong.stderr).toBe(1);
      expect(wrong.stderr).toContain(`the server at ${service.url} answered 200 but is not a Sluice control plane`);
      expect(wrong.stderr).toContain('"API on …"');
      expect(wrong.stderr).not.toMatch(/TypeError|\n\s+at /);
    }

    // A listen address another process holds: refused in plain words, nothing applied.
    const clash = writeTemp('clash.yaml', rolloutYaml({ name: 'clash', listen: new URL(service.url).host, stable: 'http://127.0.0.1:9', canary: 'http://127.0.0.1:10', steps: '- setWeight: 10' }));
    const refused = await cli('apply', '-f', clash);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^sluice: the embedded data plane refused the routes for "clash": cannot listen on 127\.0\.0\.1:\d+ for service "clash"/);
    expect(await stored()).toEqual(before);
  });
});
